//! Self-tests of the test fakes: the fake ERPNext and Telegram behave like the real services
//! in the ways the bot depends on, and `TestRedis` starts, stops and starts again.

mod common;
#[path = "fakes_selftest/erp.rs"]
mod erp;
#[path = "fakes_selftest/erp_stock.rs"]
mod erp_stock;
#[path = "fakes_selftest/telegram.rs"]
mod telegram;

use common::redis::TestRedis;

#[tokio::test]
async fn redis_starts_stops_and_starts_again() {
    let mut redis = TestRedis::start().await;
    assert!(redis.url().ends_with(&format!(":{}/0", redis.port())));
    assert_eq!(redis.raw(&["SET", "k", "v"]).await, "+OK");
    redis.flushall().await;
    assert_eq!(redis.raw(&["EXISTS", "k"]).await, ":0");
    redis.stop().await;
    assert!(tokio::net::TcpStream::connect(("127.0.0.1", redis.port())).await.is_err());
    redis.start_again().await;
    assert_eq!(redis.raw(&["PING"]).await, "+PONG");
}
