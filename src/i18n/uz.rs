//! Uzbek (Latin script) texts.

use super::{CommandText, Label, Msg, NumberStyle, ProfileView, Words, support_line};
use crate::format::escape_html as esc;
use crate::format::{date, money, money::Money};
use crate::ledger::reminder_kinds::Kind;

fn cash(amount: Money, currency: &str) -> String {
    esc(&money::format(amount, currency, super::Lang::Uz))
}

pub(super) const COMMANDS: &[CommandText] = &[
    CommandText { command: "start", description: "Boshlash yoki salomlashuv xabarini ko'rsatish" },
    CommandText { command: "menu", description: "Asosiy menyuni ko'rsatish" },
    CommandText { command: "help", description: "Bot nimalar qila oladi" },
    CommandText { command: "lang", description: "Tilni o'zgartirish" },
    CommandText { command: "logout", description: "Ushbu Telegram akkauntini profildan uzish" },
];

pub(super) const NUMBERS: NumberStyle = NumberStyle { decimal_mark: ',', som: "so'm" };

pub(super) const WORDS: Words = Words {
    contracts_title: "📄 Shartnomalaringiz",
    contract: "Shartnoma",
    dated: "sana",
    total: "Jami",
    down_payment: "Boshlang'ich to'lov",
    paid: "To'langan",
    remaining: "Qoldiq",
    next_payment: "Keyingi to'lov",
    products: "Mahsulotlar",
    pcs: "dona",
    imei: "IMEI",
    note: "Izoh",
    schedule_title: "📅 To'lov jadvali",
    payments_title: "💳 To'lovlar",
    history_title: "💳 To'lovlar tarixi",
    upcoming_title: "📅 Yaqin to'lovlar",
    overdue: "⚠️ Muddati o'tgan",
    due_soon: "Keyingi 30 kunda",
    status_paid: "to'langan",
    status_partly: "qisman",
    status_due_today: "bugun",
    status_overdue: "kechikkan",
    status_upcoming: "kutilmoqda",
    days_short: "kun",
    in_days: "",
    summary_contracts: "Shartnomalar",
    summary_remaining: "To'lanishi kerak",
    summary_nearest: "Eng yaqin to'lov",
    summary_on_account: "Hisobingizda (shartnomalarga hali taqsimlanmagan, yuqorida hisobga olingan)",
    on_account: "hisobda",
    page: "Sahifa",
    doc_no: "№",
    schedule_heads: ["№", "Muddat", "Summa", "To'langan", "Holat"],
};

pub(super) fn label(label: Label) -> &'static str {
    match label {
        Label::Reminders => "🔔 Eslatmalar",
        Label::MyContracts => "📄 Shartnomalarim",
        Label::Upcoming => "📅 Yaqin to'lovlar",
        Label::PaymentHistory => "💳 To'lovlar tarixi",
        Label::Schedule => "📅 Jadval",
        Label::Payments => "💳 To'lovlar",
        Label::Pdf => "📎 PDF",
        Label::Back => "⬅️ Orqaga",
        Label::Prev => "◀️",
        Label::Next => "▶️",
        Label::Profile => "👤 Profil",
        Label::Language => "🌐 Til",
        Label::ContactUs => "☎️ Biz bilan bog'lanish",
        Label::SharePhone => "📱 Telefon raqamimni yuborish",
        Label::Cancel => "✖️ Bekor qilish",
        Label::Logout => "🚪 Chiqish",
        Label::LogoutYes => "Ha, chiqish",
        Label::LogoutNo => "Yo'q, qolaman",
    }
}

fn profile(p: &ProfileView) -> String {
    let phone = p.phone_masked.as_deref().map(esc).unwrap_or_else(|| "—".into());
    format!(
        "👤 <b>{}</b>\nPasport: <code>{}</code>\nTelefon: <code>{}</code>",
        esc(&p.name),
        esc(&p.passport_masked),
        phone
    )
}

pub(super) fn text(msg: &Msg) -> String {
    match msg {
        Msg::Greeting => "👋 Xush kelibsiz! Ushbu bot muddatli to'lov shartnomalaringiz, to'lov \
            jadvali va to'lovlaringizni ko'rsatadi hamda to'lov muddatidan oldin eslatib \
            turadi.\n\nBoshlash uchun pasport seriyasi va raqamini yuboring, masalan: \
            <code>AA1234567</code>."
            .into(),
        Msg::AskPassport => "Iltimos, pasport seriyasi va raqamini yuboring, masalan: <code>AA1234567</code>.".into(),
        Msg::PassportFormat => "Bu pasport raqamiga o'xshamaydi. Ikkita harf va yettita raqam \
            yuboring, masalan: <code>AA1234567</code>."
            .into(),
        Msg::PassportNotFound => "Bu pasport bo'yicha mijoz topilmadi. Raqamni tekshirib, \
            qaytadan urinib ko'ring."
            .into(),
        Msg::AlreadyLinked { support } => format!(
            "Bu pasport allaqachon boshqa Telegram akkauntiga bog'langan. Agar u akkaunt sizniki \
             bo'lmasa, iltimos, biz bilan bog'laning.{}",
            support_line("Qo'llab-quvvatlash xizmati:", support)
        ),
        Msg::AskContact => "Rahmat! Endi shaxsingizni tasdiqlang: telefon raqamingizni yuborish \
            uchun quyidagi tugmani bosing."
            .into(),
        Msg::ContactNotOwn => {
            "Iltimos, quyidagi tugma orqali <b>o'zingizning</b> telefon raqamingizni yuboring.".into()
        }
        Msg::PhoneMismatch { support } => format!(
            "Bu telefon raqami shartnomangizda ko'rsatilgan raqamga mos kelmaydi.{}",
            support_line("Agar raqamingiz o'zgargan bo'lsa, bizga qo'ng'iroq qiling:", support)
        ),
        Msg::ContactExpected => "Iltimos, telefon raqamingizni yuborish uchun quyidagi tugmani \
            bosing yoki qaytadan boshlash uchun /start buyrug'ini yuboring."
            .into(),
        Msg::Linked { profile: p } => {
            format!("✅ Akkauntingiz bog'landi.\n\n{}", profile(p))
        }
        Msg::WelcomeBack { profile: p } => {
            format!("👋 Qaytganingizdan xursandmiz, {}!\n\n{}", esc(&p.name), profile(p))
        }
        Msg::Profile { profile: p } => profile(p),
        Msg::Menu => "Quyidagi menyudan kerakli bo'limni tanlang.".into(),
        Msg::Help { support } => format!(
            "Men shartnomalaringiz va to'lovlaringizni ko'rsataman hamda to'lov muddatidan oldin \
             eslatib turaman.\n\n\
             /start — salomlashuv\n/menu — asosiy menyu\n/lang — til\n/logout — ushbu \
             akkauntni uzish\n/help — ushbu yordam{}",
            support_line("Qo'llab-quvvatlash xizmati:", support)
        ),
        Msg::ChooseLanguage => "Tilni tanlang:".into(),
        Msg::LanguageChanged => "Til o'zbek tiliga o'zgartirildi.".into(),
        Msg::ContactUs { support } => match support {
            Some(phone) => format!("☎️ Bizga qo'ng'iroq qiling: {}", esc(phone)),
            None => "☎️ Iltimos, shartnomangiz rasmiylashtirilgan do'konga murojaat qiling.".into(),
        },
        Msg::ConfirmLogout => "Ushbu Telegram akkauntini mijoz profilingizdan uzasizmi?".into(),
        Msg::LoggedOut => "Siz tizimdan chiqdingiz. Akkauntingizni qayta bog'lash uchun /start \
            buyrug'ini yuboring."
            .into(),
        Msg::LogoutCancelled => "Yaxshi, siz tizimda qolasiz.".into(),
        Msg::TooManyAttempts { minutes } => format!(
            "Muvaffaqiyatsiz urinishlar juda ko'p bo'ldi. Iltimos, {minutes} daqiqadan so'ng \
             qayta urinib ko'ring."
        ),
        Msg::ErpUnavailable => "Kechirasiz, tizimimiz hozir javob bermayapti. Iltimos, keyinroq \
            qayta urinib ko'ring."
            .into(),
        Msg::SessionReset => "Kechirasiz, suhbatni qaytadan boshlashga to'g'ri keldi.".into(),
        Msg::LinkGone => "Telegram akkauntingiz endi mijoz profiliga bog'lanmagan. Iltimos, \
            uni qaytadan bog'lang."
            .into(),
        Msg::AccountDisabled { support } => format!(
            "Do'kondagi mijoz hisobingiz o'chirilgan, shu sababli bot \
            shartnomalaringizni ko'rsata olmaydi. Iltimos, shartnomangiz rasmiylashtirilgan \
            do'konga murojaat qiling.{}",
            support_line("Qo'llab-quvvatlash xizmati:", support)
        ),
        Msg::NotUnderstood => "Kechirasiz, sizni tushunmadim. Iltimos, quyidagi menyudan \
            foydalaning."
            .into(),
        Msg::TextExpected => "Iltimos, pasport raqamingizni matn ko'rinishida yuboring, \
            masalan: <code>AA1234567</code>."
            .into(),
        Msg::PrivateOnly => "Men faqat shaxsiy chatlarda ishlayman. Iltimos, menga shaxsiy \
            xabar yozing."
            .into(),
        Msg::ButtonExpired => "Bu tugma endi amal qilmaydi.".into(),
        Msg::TryAgain => "Nimadir xato ketdi, iltimos, qaytadan urinib ko'ring.".into(),
        Msg::NoContracts => "Sizda amaldagi shartnomalar yo'q.".into(),
        Msg::NoPayments => "Hozircha to'lovlar yo'q.".into(),
        Msg::NothingDue => "✅ Muddati o'tgan to'lovlar yo'q va keyingi 30 kunda to'lov muddati yo'q.".into(),
        Msg::ContractUnavailable => "Bu shartnoma mavjud emas.".into(),
        Msg::PdfNotSetUp { support } => format!(
            "Kechirasiz, shartnoma hujjati do'kon tizimida hali sozlanmagan, shu \
            sababli uni bu yerda yubora olmaymiz. Shartnomangiz nusxasini do'kondan so'rang.{}",
            support_line("Qo'llab-quvvatlash xizmati:", support)
        ),
        Msg::PdfCannotRender { support } => format!(
            "Kechirasiz, do'kon tizimi hozir PDF hujjat tayyorlay olmaydi va \
            do'kon buni tuzatmaguncha qayta urinish yordam bermaydi. Shartnomangiz nusxasini \
            do'kondan so'rang.{}",
            support_line("Qo'llab-quvvatlash xizmati:", support)
        ),
        Msg::PdfNotPermitted { support } => format!(
            "Kechirasiz, botga do'kon tizimida shartnomalarni chop etishga ruxsat \
            berilmagan. Shartnomangiz nusxasini do'kondan so'rang.{}",
            support_line("Qo'llab-quvvatlash xizmati:", support)
        ),
        Msg::PdfUnavailable => {
            "Kechirasiz, hozir shartnoma hujjatini tayyorlab bo'lmadi. Keyinroq urinib ko'ring.".into()
        }
        Msg::PaymentReceived(n) => {
            let mut t = format!(
                "✅ <b>To'lov qabul qilindi</b>\nSumma: <b>{}</b>\nShartnoma: {}\n",
                cash(n.amount, &n.currency),
                esc(&n.contract)
            );
            if let Some(d) = n.date {
                t.push_str(&format!("Sana: {}\n", date::format(d)));
            }
            t.push_str(&format!("Shartnoma bo'yicha qoldiq: <b>{}</b>", cash(n.remaining, &n.currency)));
            if let Some((d, m)) = n.next_due {
                t.push_str(&format!("\nKeyingi to'lov: {} — {}", date::format(d), cash(m, &n.currency)));
            }
            t.push_str("\n\nRahmat!");
            t
        }
        Msg::PaymentCancelled(n) => format!(
            "⚠️ <b>To'lov bekor qilindi</b>\n{} miqdoridagi to'lov ({} shartnomasi) do'kon tomonidan bekor qilindi.\nShartnoma bo'yicha qoldiq: <b>{}</b>",
            cash(n.amount, &n.currency),
            esc(&n.contract),
            cash(n.remaining, &n.currency)
        ),
        Msg::ContractReplaced(n) => {
            let mut t = format!(
                "📄 <b>Shartnoma o'zgartirildi</b>\n{} shartnomasi {} shartnomasi bilan almashtirildi.\nJami: <b>{}</b>",
                esc(&n.replaced),
                esc(&n.contract.contract),
                cash(n.contract.total, &n.contract.currency)
            );
            if !n.schedule.is_empty() {
                t.push_str("\n\nYangi to'lov jadvali:");
                for (d, m) in &n.schedule {
                    t.push_str(&format!("\n{} — {}", date::format(*d), cash(*m, &n.contract.currency)));
                }
            }
            t
        }
        Msg::ContractCancelled { contract } => format!(
            "⚠️ <b>Shartnoma bekor qilindi</b>\n{} shartnomasi do'kon tomonidan bekor qilindi. Agar u tuzatilayotgan bo'lsa, yangisini alohida xabarda olasiz.",
            esc(contract)
        ),
        Msg::PaymentOnAccount(n) => {
            let mut t = format!("✅ <b>To'lov qabul qilindi</b>\nSumma: <b>{}</b>\n", cash(n.amount, &n.currency));
            if let Some(d) = n.date {
                t.push_str(&format!("Sana: {}\n", date::format(d)));
            }
            t.push_str(&format!(
                "To'lov hisobingizga avans sifatida qabul qilindi va hali shartnomalarga taqsimlanmagan.\nHisobingizda: <b>{}</b>\n\nRahmat!",
                cash(n.credit, &n.currency)
            ));
            t
        }
        Msg::PaymentOnAccountCancelled(n) => format!(
            "⚠️ <b>To'lov bekor qilindi</b>\nHisobingizdagi {} miqdoridagi avans do'kon tomonidan bekor qilindi.\nHisobingizda: <b>{}</b>",
            cash(n.amount, &n.currency),
            cash(n.credit, &n.currency)
        ),
        Msg::NewContract(n) => {
            let mut t =
                format!("📄 <b>Yangi shartnoma</b> {}\nJami: <b>{}</b>", esc(&n.contract), cash(n.total, &n.currency));
            if let Some((d, m)) = n.first_due {
                t.push_str(&format!("\nBirinchi to'lov: {} — {}", date::format(d), cash(m, &n.currency)));
            }
            t
        }
        Msg::Reminder(n) => {
            let when = match n.kind {
                Kind::Before(d) => format!("Muddatiga {d} kun qoldi"),
                Kind::DueToday => "To'lov muddati bugun".to_owned(),
                Kind::Overdue(d) => format!("Muddati {d} kun o'tgan"),
            };
            let mut t = format!("⏰ <b>To'lov haqida eslatma</b>\nShartnoma: {}\n{when}:\n", esc(&n.contract));
            for (due, owed) in &n.lines {
                t.push_str(&format!("• {} — <b>{}</b>\n", date::format(*due), cash(*owed, &n.currency)));
            }
            t.push_str(
                "\nIltimos, o'z vaqtida to'lang. Agar to'lagan bo'lsangiz — rahmat, bu xabarga e'tibor bermang.",
            );
            t
        }
        Msg::RemindersOn => "🔔 Eslatmalar yoqildi: to'lov muddatidan oldin eslatamiz.".into(),
        Msg::RemindersOff => "🔕 Eslatmalar o'chirildi. Ularni menyudan qayta yoqishingiz mumkin.".into(),
    }
}
