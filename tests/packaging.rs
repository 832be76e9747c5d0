//! Checks of the container files that need no Docker engine: the Dockerfile builds the binary
//! the tests build, from files it actually copies, and the compose file names only variables,
//! routes and ports the service has.

use std::collections::BTreeSet;
use std::path::Path;

fn read(name: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The paths of the targets Cargo.toml declares (Cargo refuses to build if one is missing).
fn declared_targets(manifest: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut section = String::new();
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            section = line.trim_matches(|c| c == '[' || c == ']').to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else { continue };
        let value = value.trim().trim_matches('"').to_string();
        match (section.as_str(), key.trim()) {
            ("lib" | "bin", "path") => targets.push(value),
            ("bench", "name") => targets.push(format!("benches/{value}.rs")),
            _ => {}
        }
    }
    targets
}

/// The sources of `COPY` lines in the builder stage, before its last `cargo build`.
fn builder_copies(dockerfile: &str) -> Vec<String> {
    let builder = dockerfile.split("FROM debian").next().unwrap_or_default();
    builder
        .lines()
        .filter_map(|l| l.trim().strip_prefix("COPY "))
        .filter(|rest| !rest.starts_with("--from"))
        .flat_map(|rest| {
            let words: Vec<&str> = rest.split_whitespace().collect();
            words[..words.len().saturating_sub(1)]
                .iter()
                .map(|w| w.trim_end_matches('/').to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn the_dockerfile_copies_every_target_cargo_toml_declares() {
    let (manifest, dockerfile, ignore) = (read("Cargo.toml"), read("Dockerfile"), read(".dockerignore"));
    let copies = builder_copies(&dockerfile);
    let targets = declared_targets(&manifest);
    assert!(targets.contains(&"src/main.rs".to_string()) && targets.iter().any(|t| t.starts_with("benches/")));
    for target in &targets {
        assert!(
            copies.iter().any(|c| target == c || target.starts_with(&format!("{c}/"))),
            "{target} is declared in Cargo.toml but the Dockerfile's builder does not COPY it (copies: {copies:?})"
        );
        assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join(target).is_file(), "{target} exists");
    }
    for needed in ["Cargo.toml", "Cargo.lock", "src"] {
        assert!(copies.iter().any(|c| c == needed), "the builder copies {needed}");
        assert!(!ignore.lines().any(|l| l.trim() == needed), ".dockerignore must not drop {needed}");
    }
    // Files the binary embeds at compile time travel inside `src/`.
    assert!(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/demo/assets/index.html").is_file());
}

#[test]
fn the_dockerfile_builds_and_runs_the_binary_the_tests_run() {
    let dockerfile = read("Dockerfile");
    let bin = Path::new(env!("CARGO_BIN_EXE_erpnext-bot")).file_name().and_then(|n| n.to_str()).unwrap_or_default();
    assert_eq!(bin, "erpnext-bot");
    let builds: Vec<&str> = dockerfile.lines().filter(|l| l.contains("cargo build")).collect();
    assert!(!builds.is_empty());
    for build in builds {
        assert!(build.contains("--locked") && build.contains(&format!("--bin {bin}")), "{build}");
    }
    assert!(dockerfile.contains(&format!("/app/target/release/{bin} /usr/local/bin/{bin}")));
    assert!(dockerfile.contains(&format!("ENTRYPOINT [\"{bin}\"]")));
    assert!(dockerfile.contains("CMD [\"serve\"]"));
    assert!(dockerfile.contains("http://127.0.0.1:8080/readyz"), "the health check uses the readiness route");
}

#[test]
fn the_compose_file_is_well_formed_and_names_only_known_variables() {
    let compose = read("docker-compose.yml");
    assert!(!compose.contains('\t'), "YAML forbids tabs for indentation");
    for (i, line) in compose.lines().enumerate() {
        let indent = line.len() - line.trim_start().len();
        assert!(line.trim().is_empty() || indent % 2 == 0, "line {}: odd indentation: {line:?}", i + 1);
    }
    let top: BTreeSet<&str> = compose
        .lines()
        .filter(|l| !l.starts_with([' ', '#']) && l.ends_with(':'))
        .map(|l| l.trim_end_matches(':'))
        .collect();
    assert_eq!(top, BTreeSet::from(["services", "volumes"]));
    for service in ["  bot:", "  redis:"] {
        assert!(compose.lines().any(|l| l == service), "service {service}");
    }
    // Variables set under `environment:` are ones the service reads.
    let mut in_env = false;
    for line in compose.lines() {
        let trimmed = line.trim();
        if trimmed == "environment:" {
            in_env = true;
            continue;
        }
        if in_env {
            if !line.starts_with("      ") {
                in_env = false;
                continue;
            }
            if trimmed.starts_with('#') {
                continue;
            }
            let key = trimmed.split(':').next().unwrap_or_default();
            assert!(erpnext_bot::config::KEYS.contains(&key), "compose sets {key}, which the service does not read");
        }
    }
    assert!(compose.contains("http://127.0.0.1:8080/readyz"));
    assert!(compose.contains("\"127.0.0.1:8080:8080\""), "published on loopback only, for the proxy");
}

/// README.md, `.env.example` and the configuration code list the same variables.
#[test]
fn readme_env_example_and_config_name_the_same_variables() {
    let readme = read("README.md");
    let example = read(".env.example");
    let extra = ["RUST_LOG", erpnext_bot::config::CONFIG_FILE_VAR];
    let in_example: Vec<&str> = example
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .filter(|k| !k.is_empty() && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
        .collect();
    for key in erpnext_bot::config::KEYS.iter().chain(extra.iter()) {
        assert!(in_example.contains(key), ".env.example lacks {key}");
        assert!(readme.contains(&format!("| `{key}` |")), "README's configuration table lacks {key}");
    }
    for key in &in_example {
        assert!(
            erpnext_bot::config::KEYS.contains(key) || extra.contains(key),
            ".env.example sets {key}, which the service does not read"
        );
    }
}
