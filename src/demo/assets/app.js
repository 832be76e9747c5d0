// The demo chat page: plays the Telegram app for the bot running behind /demo/api.
// Everything shown in the log comes from the feed (a long poll); the page only posts what the
// visitor does. Bot text is Telegram's HTML subset and is rebuilt from a whitelist, never
// assigned to innerHTML.
'use strict';

(() => {
  // The page's own strings, as [English, Russian, Uzbek] (the bot's texts come from the bot).
  const LANGS = ['en', 'ru', 'uz'];
  const STRINGS = {
    title: ['bot demo', 'демо бота', 'bot demosi'],
    bot: ['bot', 'бот', 'bot'],
    controls: ['Demo controls', 'Управление демо', 'Demo boshqaruvi'],
    youAre: ['You are:', 'Вы:', 'Siz:'],
    passport: ['Passport', 'Паспорт', 'Pasport'],
    phone: ['Phone', 'Телефон', 'Telefon'],
    copy: ['Copy', 'Копировать', 'Nusxalash'],
    copied: ['Copied', 'Скопировано', 'Nusxalandi'],
    hint: [
      'To link your account, send the passport number, then press “Share my phone number”.',
      'Чтобы привязать аккаунт, отправьте номер паспорта, затем нажмите «Отправить мой номер телефона».',
      'Akkauntni bog\'lash uchun pasport raqamini yuboring, so\'ng «Telefon raqamimni yuborish» tugmasini bosing.',
    ],
    language: ['Language', 'Язык', 'Til'],
    pay: ['Post a payment (as ERPNext)', 'Провести платёж (как ERPNext)', 'To\'lov kiritish (ERPNext nomidan)'],
    reminders: ["Run today's reminders", 'Запустить сегодняшние напоминания', 'Bugungi eslatmalarni yuborish'],
    newChat: ['New chat', 'Новый чат', 'Yangi chat'],
    messages: ['Messages', 'Сообщения', 'Xabarlar'],
    message: ['Message', 'Сообщение', 'Xabar'],
    send: ['Send', 'Отправить', 'Yuborish'],
    botKeyboard: ['Bot keyboard', 'Клавиатура бота', 'Bot klaviaturasi'],
    showKeyboard: ['Show the bot keyboard', 'Показать клавиатуру бота', 'Bot klaviaturasini ko\'rsatish'],
    hideKeyboard: ['Hide the bot keyboard', 'Скрыть клавиатуру бота', 'Bot klaviaturasini yashirish'],
    emptyTitle: ['What can this bot do?', 'Что умеет этот бот?', 'Bu bot nima qila oladi?'],
    emptyText: [
      'The shop’s bot shows your instalment contracts, payment schedule and payments, and reminds you ' +
        'before a payment is due. This demo runs it against a fake ERPNext: press START, send the ' +
        'passport number from the demo controls, then share your phone.',
      'Бот магазина показывает ваши договоры рассрочки, график и историю платежей и напоминает о ' +
        'платеже заранее. В демо он работает с поддельным ERPNext: нажмите «Запустить», отправьте ' +
        'номер паспорта из панели управления демо, затем поделитесь телефоном.',
      'Do\'kon boti muddatli to\'lov shartnomalaringiz, to\'lov jadvali va to\'lovlaringizni ko\'rsatadi ' +
        'hamda to\'lov muddatidan oldin eslatadi. Demoda u soxta ERPNext bilan ishlaydi: BOSHLASH ' +
        'tugmasini bosing, demo boshqaruvidagi pasport raqamini yuboring, so\'ng telefoningizni ulashing.',
    ],
    start: ['START', 'ЗАПУСТИТЬ', 'BOSHLASH'],
    contact: ['Contact', 'Контакт', 'Kontakt'],
    spoiler: ['Hidden text, press to reveal', 'Скрытый текст, нажмите, чтобы показать', 'Yashirin matn, ko\'rish uchun bosing'],
    expand: ['Show the whole quote', 'Показать цитату целиком', 'Iqtibosni to\'liq ko\'rsatish'],
    networkError: [
      'Network error: the demo server did not answer.',
      'Ошибка сети: демо-сервер не ответил.',
      'Tarmoq xatosi: demo server javob bermadi.',
    ],
    failed: ['Request failed (HTTP {0}).', 'Запрос не выполнен (HTTP {0}).', 'So\'rov bajarilmadi (HTTP {0}).'],
    units: [['B', 'KB', 'MB'], ['Б', 'КБ', 'МБ'], ['B', 'KB', 'MB']],
  };

  const LINK_SCHEMES = ['http:', 'https:', 'tg:', 'mailto:', 'tel:'];
  const FILE_SCHEMES = ['http:', 'https:'];
  // Bot HTML tags kept as they are (strike becomes s, spoilers and links are handled apart).
  const KEPT_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'del', 'code', 'pre', 'blockquote']);
  const NARROW = window.matchMedia('(max-width: 899px)');

  const state = {
    chat: 0,
    customer: '',
    lang: 'en',
    customers: [],
    botName: 'Demo Shop',
    next: 0, // the feed's `after` for the next poll
    lastSeq: 0, // the last event applied, so a repeated event is never applied twice
    feed: null, // AbortController of the running feed loop
    keyboard: null, // the reply keyboard in force (markup with `keyboard`) or null
    keyboardHidden: false, // the visitor folded the reply keyboard away
    sending: false, // a message POST is in flight
    stick: false, // scroll to the bottom on the next batch (the visitor just did something)
    atBottom: true,
    alertReturn: null, // where focus goes back when the alert closes
  };

  const $ = (id) => document.getElementById(id);
  let log;

  // ---- small helpers ----

  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    return node;
  }

  function el(tag, className, text, attrs = {}) {
    const node = setAttrs(document.createElement(tag), attrs);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Runs `task` unless `button` is already at it, marking the button busy meanwhile.
  async function whileBusy(button, task) {
    if (button.getAttribute('aria-busy') === 'true') return;
    button.setAttribute('aria-busy', 'true');
    await task(); // never throws: request() turns every failure into an error text
    button.removeAttribute('aria-busy');
  }

  function t(key, ...args) {
    const value = STRINGS[key][Math.max(0, LANGS.indexOf(state.lang))];
    return typeof value === 'string' ? value.replace(/\{(\d)\}/g, (_, i) => args[i]) : value;
  }

  function load(key) {
    try { return localStorage.getItem(key); } catch { return null; }
  }

  function save(key, value) {
    try { localStorage.setItem(key, value); } catch { /* storage disabled: keep it for this page only */ }
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // `raw` if it is a URL with one of `schemes` (relative ones resolve against the page when
  // `relative` is set), else null: javascript: and friends never reach an href.
  function safeUrl(raw, schemes, relative) {
    if (typeof raw !== 'string' || !raw) return null;
    try {
      const url = relative ? new URL(raw, location.href) : new URL(raw);
      return schemes.includes(url.protocol) ? raw : null;
    } catch {
      return null;
    }
  }

  function clock(unixSeconds) {
    const date = new Date(unixSeconds * 1000);
    const time = el('time', 'time', `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`);
    time.dateTime = date.toISOString();
    return time;
  }

  function humanSize(bytes) {
    if (!Number.isFinite(bytes)) return '';
    const [b, kb, mb] = t('units');
    const shown = (n) => n.toLocaleString(state.lang, { maximumFractionDigits: 1 });
    if (bytes < 1024) return `${bytes} ${b}`;
    return bytes < 1024 * 1024 ? `${shown(bytes / 1024)} ${kb}` : `${shown(bytes / 1024 / 1024)} ${mb}`;
  }

  function initials(name) {
    return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => Array.from(w)[0]).join('').toUpperCase();
  }

  // ---- Telegram HTML ----

  // Parses bot HTML in an inert document and rebuilds it from whitelisted elements only.
  function telegramHtml(html) {
    const parsed = new DOMParser().parseFromString(`<!doctype html><body>${html || ''}`, 'text/html');
    const out = document.createDocumentFragment();
    copyClean(parsed.body, out);
    return out;
  }

  function copyClean(from, to) {
    for (const node of from.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) to.append(node.data);
      else if (node.nodeType === Node.ELEMENT_NODE) to.append(cleanElement(node));
    }
  }

  // A fresh element for a whitelisted one, or its text for anything else.
  function cleanElement(src) {
    const tag = src.localName;
    if (tag === 'strike') return rebuilt('s', src);
    if (tag === 'blockquote' && src.hasAttribute('expandable')) return expandable(rebuilt(tag, src));
    if (KEPT_TAGS.has(tag)) return rebuilt(tag, src);
    if (tag === 'tg-spoiler' || (tag === 'span' && src.classList.contains('tg-spoiler'))) {
      return spoiler(rebuilt('span', src));
    }
    if (tag === 'a') {
      const href = safeUrl(src.getAttribute('href'), LINK_SCHEMES, false);
      return href ? setAttrs(rebuilt('a', src), { href, target: '_blank', rel: 'noopener noreferrer' }) : src.textContent;
    }
    return src.textContent; // tg-emoji (its fallback emoji) and anything unexpected
  }

  function rebuilt(tag, src) {
    const node = document.createElement(tag);
    copyClean(src, node);
    return node;
  }

  function spoiler(span) {
    span.className = 'spoiler';
    return setAttrs(span, { tabindex: '0', role: 'button', 'aria-label': t('spoiler') });
  }

  function revealSpoiler(span) {
    span.classList.add('revealed');
    for (const name of ['role', 'tabindex', 'aria-label']) span.removeAttribute(name);
  }

  // An expandable quote shows its first lines and a button that unfolds the rest.
  function expandable(quote) {
    quote.classList.add('expandable');
    quote.append(el('button', 'expand', undefined, { type: 'button', 'aria-expanded': 'false', 'aria-label': t('expand') }));
    return quote;
  }

  // ---- the log ----

  function findMsg(id) {
    return log.querySelector(`.msg[data-id="${CSS.escape(String(id))}"]`);
  }

  function createMsg(classes, id, date) {
    const msg = el('div', `msg ${classes}`);
    msg.dataset.id = id;
    const bubble = el('div', 'bubble');
    if (Number.isFinite(date)) bubble.append(clock(date));
    msg.append(bubble);
    return msg;
  }

  // The message's `.text`, created (before the time) when missing.
  function textBox(msg) {
    let box = msg.querySelector('.text');
    if (!box) {
      box = el('div', 'text');
      const bubble = msg.querySelector('.bubble');
      bubble.insertBefore(box, bubble.querySelector('.time'));
    }
    return box;
  }

  function setHtml(msg, html) {
    textBox(msg).replaceChildren(telegramHtml(html));
  }

  // The inline keyboard of `msg` and, for a new message, the reply keyboard it may carry.
  function applyMarkup(msg, markup) {
    setInlineKeyboard(msg, markup);
    if (markup && markup.keyboard) setReplyKeyboard(markup);
    else if (markup && markup.remove_keyboard) setReplyKeyboard(null);
  }

  function addBotMessage(ev) {
    const msg = createMsg('bot', ev.id, ev.date);
    setHtml(msg, ev.html);
    log.append(msg);
    applyMarkup(msg, ev.reply_markup);
  }

  function addUserMessage(ev) {
    const msg = createMsg('user', ev.id, ev.date);
    const box = textBox(msg);
    if (ev.contact) {
      msg.classList.add('contact');
      box.append(el('span', 'contact-label', `👤 ${t('contact')}`), '\n', el('b', '', ev.contact.name || ''), '\n', ev.contact.phone || '');
    } else {
      box.textContent = ev.text || '';
    }
    log.append(msg);
  }

  function addDocument(ev) {
    const msg = createMsg('bot doc', ev.id, ev.date);
    const name = ev.file_name || 'file';
    const ext = (/\.([a-z0-9]{1,4})$/i.exec(name) || [])[1];
    const icon = el('span', 'file-icon', ext ? ext.toUpperCase() : '📄', { 'aria-hidden': 'true' });
    const link = el('a', 'download', name);
    const href = safeUrl(ev.url, FILE_SCHEMES, true);
    if (href) setAttrs(link, { href, download: name });
    const meta = el('div', 'file-meta');
    meta.append(link, el('span', 'file-size', humanSize(ev.size)));
    const file = el('div', 'file');
    file.append(icon, meta);
    msg.querySelector('.bubble').prepend(file);
    if (ev.caption_html) setHtml(msg, ev.caption_html);
    log.append(msg);
    applyMarkup(msg, ev.reply_markup);
  }

  function editMessage(ev) {
    const msg = findMsg(ev.id);
    if (!msg) return;
    setHtml(msg, ev.html);
    setInlineKeyboard(msg, ev.reply_markup); // edits never touch the reply keyboard
  }

  function addNote(text, isError) {
    log.append(el('div', isError ? 'note error' : 'note', text));
  }

  // A note the page itself adds (an error), scrolled into view like a feed event.
  function localError(text) {
    const stick = nearBottom();
    addNote(text, true);
    if (stick) scrollToBottom();
  }

  const nearBottom = () => log.scrollHeight - log.scrollTop - log.clientHeight < 120;
  const scrollToBottom = () => { log.scrollTop = log.scrollHeight; };
  const updateEmpty = () => { $('empty').hidden = Boolean(log.querySelector('.msg')); };

  // ---- keyboards ----

  function setInlineKeyboard(msg, markup) {
    if (!msg) return;
    const old = msg.querySelector('.inline-keyboard');
    // A keyboard user who pressed a button stays on the same spot of the new keyboard.
    const focused = old ? Array.from(old.querySelectorAll('.inline-btn')).indexOf(document.activeElement) : -1;
    if (old) old.remove();
    const rows = markup && markup.inline_keyboard;
    if (!Array.isArray(rows) || !rows.length) return;
    const keyboard = el('div', 'inline-keyboard', undefined, { role: 'group' });
    for (const row of rows) {
      const line = el('div', 'row');
      for (const button of row) line.append(inlineButton(button));
      keyboard.append(line);
    }
    msg.append(keyboard);
    if (focused >= 0) {
      const buttons = keyboard.querySelectorAll('.inline-btn');
      (buttons[focused] || buttons[0]).focus();
    }
  }

  function inlineButton(spec) {
    const href = safeUrl(spec.url, LINK_SCHEMES, false);
    if (href) return el('a', 'inline-btn url', spec.text, { href, target: '_blank', rel: 'noopener noreferrer' });
    const button = el('button', 'inline-btn', spec.text, { type: 'button' });
    if (typeof spec.callback_data === 'string') button.dataset.callback = spec.callback_data;
    else button.disabled = true; // web apps, payments, … are not part of the demo
    return button;
  }

  function pressInline(button) {
    const callback = { data: button.dataset.callback, message_id: Number(button.closest('.msg').dataset.id) };
    state.stick = true;
    whileBusy(button, () => post('/demo/api/send', withChat({ callback })));
  }

  function setReplyKeyboard(markup) {
    const box = $('reply-keyboard');
    box.replaceChildren();
    state.keyboard = markup;
    state.keyboardHidden = false;
    for (const row of markup ? markup.keyboard : []) {
      const line = el('div', 'row');
      for (const spec of row) line.append(replyButton(typeof spec === 'string' ? { text: spec } : spec));
      box.append(line);
    }
    showReplyKeyboard();
  }

  function replyButton(spec) {
    const button = el('button', 'reply-btn', spec.text, { type: 'button' });
    if (spec.request_contact) button.dataset.requestContact = 'true';
    return button;
  }

  function showReplyKeyboard() {
    const present = Boolean(state.keyboard);
    const open = present && !state.keyboardHidden;
    $('reply-keyboard').hidden = !open;
    const toggle = $('kb-toggle');
    toggle.hidden = !present;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.setAttribute('aria-label', t(open ? 'hideKeyboard' : 'showKeyboard'));
    toggle.title = t(open ? 'hideKeyboard' : 'showKeyboard');
  }

  function pressReply(button) {
    if (state.keyboard && state.keyboard.one_time_keyboard) {
      state.keyboardHidden = true;
      showReplyKeyboard();
      $('input').focus();
    }
    if (button.dataset.requestContact) sendMessage({ contact: state.customer });
    else sendMessage({ text: button.textContent });
  }

  // ---- toasts and alerts ----

  function showToast(ev) {
    if (!ev.text) return;
    if (ev.alert) return showAlert(ev.text);
    const toast = el('div', 'toast', ev.text, { role: 'status' });
    $('toasts').append(toast);
    setTimeout(() => toast.classList.add('fading'), 2600);
    setTimeout(() => toast.remove(), 3000);
  }

  function showAlert(text) {
    const dialog = $('alert');
    $('alert-text').textContent = text;
    if (!dialog.open) {
      state.alertReturn = document.activeElement;
      dialog.showModal();
    }
    $('alert-ok').focus();
  }

  function alertClosed() {
    const back = state.alertReturn;
    state.alertReturn = null;
    if (back && back.isConnected && back !== document.body) back.focus();
  }

  // ---- the feed ----

  const HANDLERS = new Map(Object.entries({
    message: (ev) => (ev.from === 'bot' ? addBotMessage(ev) : addUserMessage(ev)),
    edit: editMessage,
    markup: (ev) => setInlineKeyboard(findMsg(ev.id), ev.reply_markup),
    delete: (ev) => findMsg(ev.id)?.remove(),
    document: addDocument,
    toast: showToast,
    note: (ev) => addNote(ev.text || '', false),
  }));

  // `replay` is the first answer for `after=0`: the chat's history after a reload, whose
  // button answers are old news and are not shown again.
  function applyBatch(events, replay) {
    if (!events.length) return;
    const stick = replay || state.stick || nearBottom();
    for (const ev of events) {
      if (!(ev.seq > state.lastSeq)) continue;
      state.lastSeq = ev.seq;
      if (replay && ev.kind === 'toast') continue;
      try {
        HANDLERS.get(ev.kind)?.(ev); // unknown kinds are ignored
      } catch (err) {
        console.error('demo: could not show event', ev, err); // one odd event must not stall the feed
      }
    }
    updateEmpty();
    if (stick) scrollToBottom();
    state.stick = false;
  }

  function startFeed() {
    if (state.feed) state.feed.abort();
    state.feed = new AbortController();
    feedLoop(state.feed.signal);
  }

  async function feedLoop(signal) {
    while (!signal.aborted) {
      const replay = state.next === 0;
      const began = Date.now();
      try {
        const res = await fetch(`/demo/api/feed?chat=${state.chat}&after=${state.next}`, { signal, cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        const body = await res.json();
        if (signal.aborted) return;
        const events = Array.isArray(body.events) ? body.events : [];
        applyBatch(events, replay);
        if (Number.isInteger(body.next)) state.next = body.next;
        // A stopping server answers every poll at once: do not spin.
        if (!events.length && Date.now() - began < 1000) await sleep(1000);
      } catch {
        if (signal.aborted) return;
        await sleep(1000 + Math.random() * 1000);
      }
    }
  }

  // ---- talking to the server ----

  function withChat(payload) {
    return { chat: state.chat, lang: state.lang, ...payload };
  }

  // POSTs JSON; answers the server's error text (or a network error) or null when it went well.
  async function request(path, body) {
    let res;
    try {
      res = await fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    } catch {
      return t('networkError');
    }
    let data = null;
    try { data = await res.json(); } catch { /* not JSON: judged by the status alone */ }
    if (res.ok && !(data && data.ok === false)) return null;
    return (data && data.error) || t('failed', res.status);
  }

  // Like `request`, showing the error in the log; true when it went well.
  async function post(path, body) {
    const error = await request(path, body);
    if (error) localError(error);
    return !error;
  }

  // Sends a message (text or contact); the message itself shows up through the feed.
  async function sendMessage(payload) {
    if (state.sending) return false;
    if ('text' in payload) {
      payload = { text: payload.text.trim() };
      if (!payload.text) return false;
    }
    if ('contact' in payload && !payload.contact) return false;
    setSending(true);
    state.stick = true;
    const ok = await post('/demo/api/send', withChat(payload));
    setSending(false);
    return ok;
  }

  function setSending(on) {
    state.sending = on;
    $('send').disabled = on;
    $('start').disabled = on;
  }

  async function submitComposer(event) {
    event.preventDefault();
    const input = $('input');
    const text = input.value;
    if (await sendMessage({ text })) {
      if (input.value === text) input.value = ''; // keep whatever was typed meanwhile
    }
    // A clicked send button lost focus when it was disabled: give it back to the input.
    if (document.activeElement === document.body || document.activeElement === $('send')) input.focus();
  }

  // The ERPNext side buttons; their notes arrive through the feed, errors are shown here.
  function runAction(button, path) {
    if (NARROW.matches) setPanel(false);
    state.stick = true;
    whileBusy(button, () => post(path, { chat: state.chat }));
  }

  // Forgets this chat: the sandbox unlinks its customer (so another chat can link them) and
  // the page starts over with a new chat id.
  async function newChat() {
    const error = await request('/demo/api/reset', { chat: state.chat });
    if (state.feed) state.feed.abort();
    state.chat = randomChatId();
    save('demo.chat', String(state.chat));
    state.next = 0;
    state.lastSeq = 0;
    log.replaceChildren();
    $('toasts').replaceChildren();
    setReplyKeyboard(null);
    if (error) addNote(error, true);
    updateEmpty();
    if (NARROW.matches) setPanel(false);
    startFeed();
  }

  // ---- identity, language, demo controls ----

  function randomChatId() {
    return 100000000 + Math.floor(Math.random() * 900000000);
  }

  function storedChatId() {
    const stored = Number(load('demo.chat'));
    if (Number.isInteger(stored) && stored >= 100000000 && stored <= 999999999) return stored;
    const fresh = randomChatId();
    save('demo.chat', String(fresh));
    return fresh;
  }

  function initialLang() {
    const stored = load('demo.lang');
    if (LANGS.includes(stored)) return stored;
    const browser = (navigator.language || '').toLowerCase();
    if (browser.startsWith('ru')) return 'ru';
    if (browser.startsWith('uz')) return 'uz';
    return 'en';
  }

  function applyLang() {
    document.documentElement.lang = state.lang;
    $('lang').value = state.lang;
    for (const node of document.querySelectorAll('[data-i18n]')) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll('[data-i18n-label]')) node.setAttribute('aria-label', t(node.dataset.i18nLabel));
    for (const node of document.querySelectorAll('[data-i18n-placeholder]')) node.placeholder = t(node.dataset.i18nPlaceholder);
    document.title = `${state.botName} — ${t('title')}`;
    showReplyKeyboard();
  }

  function showBot(bot) {
    state.botName = bot.name || state.botName;
    $('bot-name').textContent = state.botName;
    $('bot-avatar').textContent = initials(state.botName);
    $('bot-username').textContent = bot.username ? `@${bot.username}` : '';
    $('alert-title').textContent = state.botName;
    document.title = `${state.botName} — ${t('title')}`;
  }

  function showCustomers() {
    const select = $('customer');
    select.replaceChildren(...state.customers.map((c) => new Option(c.name, c.id)));
    if (!state.customers.some((c) => c.id === state.customer)) {
      state.customer = state.customers[0] ? state.customers[0].id : '';
      save('demo.customer', state.customer);
    }
    select.value = state.customer;
    showCustomer();
  }

  function showCustomer() {
    const customer = state.customers.find((c) => c.id === state.customer) || {};
    $('customer-passport').textContent = customer.passport || '';
    $('customer-phone').textContent = customer.phone || '';
    $('customer-about').textContent = customer.about || '';
  }

  // Copies a value to the clipboard; where the page may not (plain http on another host),
  // selects it so the visitor can copy it by hand.
  async function copyValue(button) {
    const target = $(button.dataset.copy);
    try {
      await navigator.clipboard.writeText(target.textContent);
      button.textContent = t('copied');
      setTimeout(() => { button.textContent = t('copy'); }, 1500);
    } catch {
      window.getSelection().selectAllChildren(target);
    }
  }

  // Open: the whole panel. Closed: no panel on wide screens, a strip with the passport and
  // phone on phones (see app.css).
  function setPanel(open) {
    // Focus inside a panel that folds goes back to the button that opens it.
    if (!open && $('controls').contains(document.activeElement)) $('controls-toggle').focus();
    $('controls').classList.toggle('open', open);
    $('controls-toggle').setAttribute('aria-expanded', String(open));
  }

  async function loadInfo() {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const res = await fetch('/demo/api/info', { cache: 'no-store' });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        return await res.json();
      } catch {
        if (attempt === 0) localError(t('networkError'));
        await sleep(2000);
      }
    }
  }

  // ---- wiring ----

  function onLogClick(event) {
    const hidden = event.target.closest('.spoiler:not(.revealed)');
    if (hidden) {
      event.preventDefault(); // a link inside a spoiler opens only once it is revealed
      revealSpoiler(hidden);
      return;
    }
    const expand = event.target.closest('.expand');
    if (expand) {
      const open = expand.parentElement.classList.toggle('open');
      expand.setAttribute('aria-expanded', String(open));
      return;
    }
    const button = event.target.closest('button.inline-btn[data-callback]');
    if (button) pressInline(button);
  }

  function onLogKey(event) {
    const hidden = event.target.closest('.spoiler:not(.revealed)');
    if (hidden && (event.key === 'Enter' || event.key === ' ')) {
      event.preventDefault();
      revealSpoiler(hidden);
    }
  }

  function bind() {
    log.addEventListener('click', onLogClick);
    log.addEventListener('keydown', onLogKey);
    log.addEventListener('scroll', () => { state.atBottom = nearBottom(); }, { passive: true });
    // The log shrinks when the reply keyboard or a phone's keyboard opens: stay at the bottom.
    new ResizeObserver(() => { if (state.atBottom) scrollToBottom(); }).observe(log);

    $('composer').addEventListener('submit', submitComposer);
    $('start').addEventListener('click', () => sendMessage({ text: '/start' }));
    $('reply-keyboard').addEventListener('click', (event) => {
      const button = event.target.closest('button');
      if (button) pressReply(button);
    });
    $('kb-toggle').addEventListener('click', () => {
      state.keyboardHidden = !state.keyboardHidden;
      showReplyKeyboard();
    });

    $('alert-ok').addEventListener('click', () => $('alert').close());
    $('alert').addEventListener('close', alertClosed);

    $('controls-toggle').addEventListener('click', () => setPanel(!$('controls').classList.contains('open')));
    $('controls').addEventListener('keydown', (event) => {
      if (event.key === 'Escape' && NARROW.matches) setPanel(false);
    });
    $('customer').addEventListener('change', (event) => {
      state.customer = event.target.value;
      save('demo.customer', state.customer);
      showCustomer();
    });
    $('lang').addEventListener('change', (event) => {
      state.lang = LANGS.includes(event.target.value) ? event.target.value : 'en';
      save('demo.lang', state.lang);
      applyLang();
    });
    for (const button of document.querySelectorAll('button.copy')) {
      button.addEventListener('click', () => copyValue(button));
    }
    $('pay').addEventListener('click', (event) => runAction(event.currentTarget, '/demo/api/pay'));
    $('reminders').addEventListener('click', (event) => runAction(event.currentTarget, '/demo/api/reminders'));
    $('new-chat').addEventListener('click', (event) => whileBusy(event.currentTarget, newChat));
  }

  async function main() {
    log = $('log');
    state.chat = storedChatId();
    state.customer = load('demo.customer') || '';
    state.lang = initialLang();
    applyLang();
    setPanel(!NARROW.matches);
    bind();
    updateEmpty();
    startFeed();
    const info = await loadInfo();
    showBot(info.bot || {});
    state.customers = Array.isArray(info.customers) ? info.customers : [];
    showCustomers();
    document.body.dataset.ready = 'true';
  }

  main();
})();
