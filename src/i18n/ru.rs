//! Russian texts.

use super::{CommandText, Label, Msg, NumberStyle, ProfileView, Words, support_line};
use crate::format::escape_html as esc;
use crate::format::{date, money, money::Money};
use crate::ledger::reminder_kinds::Kind;

fn cash(amount: Money, currency: &str) -> String {
    esc(&money::format(amount, currency, super::Lang::Ru))
}

pub(super) const COMMANDS: &[CommandText] = &[
    CommandText { command: "start", description: "Начать или показать приветствие" },
    CommandText { command: "menu", description: "Показать главное меню" },
    CommandText { command: "help", description: "Что умеет бот" },
    CommandText { command: "lang", description: "Сменить язык" },
    CommandText { command: "logout", description: "Отвязать этот аккаунт Telegram" },
];

pub(super) const NUMBERS: NumberStyle = NumberStyle { decimal_mark: ',', som: "сум" };

pub(super) const WORDS: Words = Words {
    contracts_title: "📄 Ваши договоры",
    contract: "Договор",
    dated: "от",
    total: "Сумма",
    down_payment: "Первый взнос",
    paid: "Оплачено",
    remaining: "Остаток",
    next_payment: "Следующий платёж",
    products: "Товары",
    pcs: "шт.",
    imei: "IMEI",
    note: "Примечание",
    schedule_title: "📅 График платежей",
    payments_title: "💳 Платежи",
    history_title: "💳 История платежей",
    upcoming_title: "📅 Ближайшие платежи",
    overdue: "⚠️ Просрочено",
    due_soon: "В ближайшие 30 дней",
    status_paid: "оплачен",
    status_partly: "частично",
    status_due_today: "сегодня",
    status_overdue: "просрочен",
    status_upcoming: "ожидается",
    days_short: "дн.",
    in_days: "через",
    summary_contracts: "Договоров",
    summary_remaining: "Осталось оплатить",
    summary_nearest: "Ближайший платёж",
    summary_on_account: "На вашем счёте (ещё не распределено по договорам, учтено выше)",
    on_account: "на счёте",
    page: "Стр.",
    doc_no: "№",
    schedule_heads: ["№", "Срок", "Сумма", "Оплачено", "Статус"],
};

pub(super) fn label(label: Label) -> &'static str {
    match label {
        Label::Reminders => "🔔 Напоминания",
        Label::MyContracts => "📄 Мои договоры",
        Label::Upcoming => "📅 Ближайшие платежи",
        Label::PaymentHistory => "💳 История платежей",
        Label::Schedule => "📅 График",
        Label::Payments => "💳 Платежи",
        Label::Pdf => "📎 PDF",
        Label::Back => "⬅️ Назад",
        Label::Prev => "◀️",
        Label::Next => "▶️",
        Label::Profile => "👤 Профиль",
        Label::Language => "🌐 Язык",
        Label::ContactUs => "☎️ Связаться с нами",
        Label::SharePhone => "📱 Отправить мой номер телефона",
        Label::Cancel => "✖️ Отмена",
        Label::Logout => "🚪 Выйти",
        Label::LogoutYes => "Да, выйти",
        Label::LogoutNo => "Нет, остаться",
    }
}

fn profile(p: &ProfileView) -> String {
    let phone = p.phone_masked.as_deref().map(esc).unwrap_or_else(|| "—".into());
    format!(
        "👤 <b>{}</b>\nПаспорт: <code>{}</code>\nТелефон: <code>{}</code>",
        esc(&p.name),
        esc(&p.passport_masked),
        phone
    )
}

pub(super) fn text(msg: &Msg) -> String {
    match msg {
        Msg::Greeting => "👋 Добро пожаловать! Этот бот показывает ваши договоры рассрочки, график \
            платежей и платежи, а также заранее напоминает о датах оплаты.\n\nЧтобы начать, \
            отправьте серию и номер паспорта, например <code>AA1234567</code>."
            .into(),
        Msg::AskPassport => "Пожалуйста, отправьте серию и номер паспорта, например <code>AA1234567</code>.".into(),
        Msg::PassportFormat => "Это не похоже на номер паспорта. Отправьте две буквы и семь \
            цифр, например <code>AA1234567</code>."
            .into(),
        Msg::PassportNotFound => "Мы не нашли клиента с таким паспортом. Проверьте номер и \
            попробуйте ещё раз."
            .into(),
        Msg::AlreadyLinked { support } => format!(
            "Этот паспорт уже привязан к другому аккаунту Telegram. Если это не ваш аккаунт, \
             пожалуйста, свяжитесь с нами.{}",
            support_line("Служба поддержки:", support)
        ),
        Msg::AskContact => "Спасибо! Теперь подтвердите, что это вы: нажмите кнопку ниже, \
            чтобы отправить свой номер телефона."
            .into(),
        Msg::ContactNotOwn => {
            "Пожалуйста, отправьте <b>свой собственный</b> номер телефона с помощью кнопки ниже.".into()
        }
        Msg::PhoneMismatch { support } => format!(
            "Этот номер телефона не совпадает с номером, указанным в вашем договоре.{}",
            support_line("Если ваш номер изменился, позвоните нам:", support)
        ),
        Msg::ContactExpected => "Пожалуйста, нажмите кнопку ниже, чтобы отправить свой номер \
            телефона, или отправьте /start, чтобы начать заново."
            .into(),
        Msg::Linked { profile: p } => {
            format!("✅ Ваш аккаунт привязан.\n\n{}", profile(p))
        }
        Msg::WelcomeBack { profile: p } => {
            format!("👋 С возвращением, {}!\n\n{}", esc(&p.name), profile(p))
        }
        Msg::Profile { profile: p } => profile(p),
        Msg::Menu => "Выберите пункт в меню ниже.".into(),
        Msg::Help { support } => format!(
            "Я показываю ваши договоры и платежи и заранее напоминаю о датах оплаты.\n\n\
             /start — приветствие\n/menu — главное меню\n/lang — язык\n/logout — отвязать этот \
             аккаунт\n/help — эта справка{}",
            support_line("Служба поддержки:", support)
        ),
        Msg::ChooseLanguage => "Выберите язык:".into(),
        Msg::LanguageChanged => "Язык изменён на русский.".into(),
        Msg::ContactUs { support } => match support {
            Some(phone) => format!("☎️ Позвоните нам: {}", esc(phone)),
            None => "☎️ Пожалуйста, обратитесь в магазин, где вы оформили договор.".into(),
        },
        Msg::ConfirmLogout => "Отвязать этот аккаунт Telegram от вашего профиля клиента?".into(),
        Msg::LoggedOut => "Вы вышли из аккаунта. Отправьте /start, чтобы снова привязать аккаунт.".into(),
        Msg::LogoutCancelled => "Хорошо, вы остаётесь в системе.".into(),
        Msg::TooManyAttempts { minutes } => {
            format!("Слишком много неудачных попыток. Пожалуйста, попробуйте снова через {minutes} мин.")
        }
        Msg::ErpUnavailable => "Извините, наша система сейчас не отвечает. Пожалуйста, \
            попробуйте позже."
            .into(),
        Msg::SessionReset => "Извините, нам пришлось начать диалог заново.".into(),
        Msg::LinkGone => "Ваш аккаунт Telegram больше не привязан к профилю клиента. \
            Пожалуйста, привяжите его снова."
            .into(),
        Msg::AccountDisabled { support } => format!(
            "Ваша учётная запись клиента в магазине отключена, поэтому бот не \
            может показать ваши договоры. Пожалуйста, обратитесь в магазин, где вы оформили \
            договор.{}",
            support_line("Служба поддержки:", support)
        ),
        Msg::NotUnderstood => "Не удалось понять ваше сообщение. Пожалуйста, воспользуйтесь \
            меню ниже."
            .into(),
        Msg::TextExpected => "Пожалуйста, отправьте номер паспорта текстом, например \
            <code>AA1234567</code>."
            .into(),
        Msg::PrivateOnly => "Я работаю только в личных чатах. Пожалуйста, напишите мне в \
            личные сообщения."
            .into(),
        Msg::ButtonExpired => "Эта кнопка больше не действует.".into(),
        Msg::TryAgain => "Что-то пошло не так, пожалуйста, попробуйте ещё раз.".into(),
        Msg::NoContracts => "У вас нет действующих договоров.".into(),
        Msg::NoPayments => "Платежей пока нет.".into(),
        Msg::NothingDue => "✅ Просроченных платежей нет, и в ближайшие 30 дней платить ничего не нужно.".into(),
        Msg::ContractUnavailable => "Этот договор недоступен.".into(),
        Msg::PdfNotSetUp { support } => format!(
            "К сожалению, документ договора ещё не настроен в системе магазина, \
            поэтому мы не можем отправить его здесь. Попросите копию договора в магазине.{}",
            support_line("Служба поддержки:", support)
        ),
        Msg::PdfCannotRender { support } => format!(
            "К сожалению, система магазина сейчас не может подготовить \
            PDF-документ, и повторная попытка не поможет, пока магазин это не исправит. \
            Попросите копию договора в магазине.{}",
            support_line("Служба поддержки:", support)
        ),
        Msg::PdfNotPermitted { support } => format!(
            "К сожалению, боту не разрешено печатать договоры в системе \
            магазина. Попросите копию договора в магазине.{}",
            support_line("Служба поддержки:", support)
        ),
        Msg::PdfUnavailable => "К сожалению, сейчас не удаётся подготовить документ договора. Попробуйте позже.".into(),
        Msg::PaymentReceived(n) => {
            let mut t = format!(
                "✅ <b>Платёж получен</b>\nСумма: <b>{}</b>\nДоговор: {}\n",
                cash(n.amount, &n.currency),
                esc(&n.contract)
            );
            if let Some(d) = n.date {
                t.push_str(&format!("Дата: {}\n", date::format(d)));
            }
            t.push_str(&format!("Остаток по договору: <b>{}</b>", cash(n.remaining, &n.currency)));
            if let Some((d, m)) = n.next_due {
                t.push_str(&format!("\nСледующий платёж: {} — {}", date::format(d), cash(m, &n.currency)));
            }
            t.push_str("\n\nСпасибо!");
            t
        }
        Msg::PaymentCancelled(n) => format!(
            "⚠️ <b>Платёж отменён</b>\nПлатёж {} по договору {} был отменён магазином.\nОстаток по договору: <b>{}</b>",
            cash(n.amount, &n.currency),
            esc(&n.contract),
            cash(n.remaining, &n.currency)
        ),
        Msg::ContractReplaced(n) => {
            let mut t = format!(
                "📄 <b>Договор изменён</b>\nДоговор {} заменён договором {}.\nСумма: <b>{}</b>",
                esc(&n.replaced),
                esc(&n.contract.contract),
                cash(n.contract.total, &n.contract.currency)
            );
            if !n.schedule.is_empty() {
                t.push_str("\n\nНовый график платежей:");
                for (d, m) in &n.schedule {
                    t.push_str(&format!("\n{} — {}", date::format(*d), cash(*m, &n.contract.currency)));
                }
            }
            t
        }
        Msg::ContractCancelled { contract } => format!(
            "⚠️ <b>Договор отменён</b>\nДоговор {} отменён магазином. Если договор исправляют, вы получите новый отдельным сообщением.",
            esc(contract)
        ),
        Msg::PaymentOnAccount(n) => {
            let mut t = format!("✅ <b>Платёж получен</b>\nСумма: <b>{}</b>\n", cash(n.amount, &n.currency));
            if let Some(d) = n.date {
                t.push_str(&format!("Дата: {}\n", date::format(d)));
            }
            t.push_str(&format!(
                "Платёж зачислен на ваш счёт как аванс и пока не распределён по договорам.\nНа вашем счёте: <b>{}</b>\n\nСпасибо!",
                cash(n.credit, &n.currency)
            ));
            t
        }
        Msg::PaymentOnAccountCancelled(n) => format!(
            "⚠️ <b>Платёж отменён</b>\nАванс {} на вашем счёте был отменён магазином.\nНа вашем счёте: <b>{}</b>",
            cash(n.amount, &n.currency),
            cash(n.credit, &n.currency)
        ),
        Msg::NewContract(n) => {
            let mut t =
                format!("📄 <b>Новый договор</b> {}\nСумма: <b>{}</b>", esc(&n.contract), cash(n.total, &n.currency));
            if let Some((d, m)) = n.first_due {
                t.push_str(&format!("\nПервый платёж: {} — {}", date::format(d), cash(m, &n.currency)));
            }
            t
        }
        Msg::Reminder(n) => {
            let when = match n.kind {
                Kind::Before(d) => format!("Срок через {d} дн."),
                Kind::DueToday => "Срок оплаты сегодня".to_owned(),
                Kind::Overdue(d) => format!("Просрочено на {d} дн."),
            };
            let mut t = format!("⏰ <b>Напоминание о платеже</b>\nДоговор: {}\n{when}:\n", esc(&n.contract));
            for (due, owed) in &n.lines {
                t.push_str(&format!("• {} — <b>{}</b>\n", date::format(*due), cash(*owed, &n.currency)));
            }
            t.push_str("\nПожалуйста, оплатите вовремя. Если вы уже оплатили — спасибо, не обращайте внимания на это сообщение.");
            t
        }
        Msg::RemindersOn => "🔔 Напоминания включены: мы напомним о платеже заранее.".into(),
        Msg::RemindersOff => "🔕 Напоминания выключены. Включить их снова можно в меню.".into(),
    }
}
