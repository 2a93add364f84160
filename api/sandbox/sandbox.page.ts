const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/**
 * The sandbox page: pick a group and a person, type, and watch the bot answer. No external assets; its one
 * script and one stylesheet are allowed by their hashes (sandbox.routes.ts).
 *
 * The script polls the transcript one request at a time and renders each entry once (by its seq), keeps
 * the chat scrolled to the newest message while the reader is at the bottom, and remembers the speaker
 * chosen in each group. On a phone the conversations become a strip of chips above the chat.
 */
export function sandboxPage(botName: string) {
  const name = escapeHtml(botName)
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name} · 沙盒</title>
<style>
  * { box-sizing: border-box; }
  html, body { height: 100%; }
  body { margin: 0; font: 15px/1.5 -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif; background: #ededed; color: #111;
    display: flex; flex-direction: column; height: 100vh; height: 100dvh; overflow: hidden; }
  header { flex: none; background: #2e3238; color: #fff; padding: 8px 16px; display: flex; flex-wrap: wrap; gap: 4px 16px; align-items: center; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  header .about { color: #ccc; font-size: 13px; }
  header nav { margin-left: auto; display: flex; gap: 12px; }
  header a { color: #9fd3a8; font-size: 14px; }
  main { flex: 1; min-height: 0; display: grid; grid-template-columns: 260px minmax(0, 1fr); }
  aside { background: #f7f7f7; border-right: 1px solid #ddd; padding: 12px; overflow: auto; min-height: 0; }
  aside h2 { font-size: 13px; color: #666; margin: 12px 0 6px; font-weight: normal; }
  .conv { display: block; width: 100%; text-align: left; font: inherit; color: inherit; background: none; border: 0; padding: 8px 10px; border-radius: 4px; cursor: pointer; margin-bottom: 2px; }
  .conv:hover { background: #e4e4e4; } .conv.active { background: #c9e7cf; }
  .conv small { color: #888; display: block; font-size: 12px; }
  section { display: flex; flex-direction: column; min-width: 0; min-height: 0; }
  #title { flex: none; padding: 8px 16px; border-bottom: 1px solid #ddd; background: #f5f5f5; font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  #log { flex: 1; min-height: 0; overflow: auto; padding: 12px 16px; overscroll-behavior: contain; }
  .msg { display: flex; margin: 10px 0; gap: 8px; }
  .msg > div { min-width: 0; max-width: 100%; }
  .msg .who { font-size: 12px; color: #888; }
  .bubble { background: #fff; padding: 8px 12px; border-radius: 6px; max-width: 70ch; white-space: pre-wrap; word-break: break-word; overflow-wrap: anywhere; }
  .msg.bot .bubble { background: #95ec69; }
  #status { flex: none; margin: 0; padding: 6px 16px; background: #ffebe9; color: #82071e; font-size: 14px; }
  #status:empty { display: none; }
  form { flex: none; display: flex; gap: 8px; padding: 10px 16px; border-top: 1px solid #ddd; background: #f5f5f5; flex-wrap: wrap; align-items: center; }
  form label { white-space: nowrap; }
  select, input[type=text] { padding: 6px 8px; font-size: 15px; border: 1px solid #ccc; border-radius: 4px; min-width: 0; max-width: 100%; }
  select { max-width: 16em; }
  #newName { width: 9em; }
  #text { flex: 1 1 200px; }
  button.send { background: #07c160; color: #fff; border: 0; border-radius: 4px; padding: 7px 18px; font-size: 15px; cursor: pointer; }
  details.hint { flex: none; color: #666; font-size: 12px; padding: 0 16px 8px; background: #f5f5f5; }
  details.hint summary { cursor: pointer; padding: 2px 0; }
  @media (max-width: 700px) {
    header { padding: 6px 12px; }
    header .about { display: none; }
    main { grid-template-columns: minmax(0, 1fr); grid-template-rows: auto minmax(0, 1fr); }
    aside { display: flex; gap: 6px; padding: 6px 8px; overflow-x: auto; overflow-y: hidden; border-right: 0; border-bottom: 1px solid #ddd; }
    aside h2 { display: none; }
    #rooms, #privates { display: flex; gap: 6px; }
    .conv { width: auto; flex: none; white-space: nowrap; padding: 4px 12px; border: 1px solid #d0d0d0; border-radius: 16px; background: #fff; margin: 0; }
    .conv small { display: none; }
    #title { padding: 6px 12px; font-size: 14px; }
    #log { padding: 8px 10px; }
    .bubble { max-width: 100%; }
    form { padding: 8px 10px; gap: 6px; }
    select { flex: 1 1 12em; max-width: none; }
    #newName { flex: 1 1 7em; }
    #text { flex: 1 1 100%; order: 5; font-size: 16px; }
    button.send { order: 6; flex: 1 1 100%; padding: 9px 18px; }
    details.hint { padding: 0 10px 6px; }
  }
</style>
</head>
<body>
<header><h1>${name} · 沙盒</h1><span class="about">模拟微信群：选一个群和一位居民/工作人员，发消息看机器人如何回答。</span><nav><a href="/console">工作台</a><a href="/api/docs">API 文档</a></nav></header>
<main>
  <aside>
    <h2>群聊</h2><div id="rooms"></div>
    <h2>私聊机器人</h2><div id="privates"></div>
  </aside>
  <section>
    <div id="title">请选择一个会话</div>
    <div id="log" aria-live="polite"></div>
    <p id="status" role="alert"></p>
    <form id="form">
      <label>发言人 <select id="from"></select></label>
      <input type="text" id="newName" placeholder="或输入新名字" maxlength="30">
      <label><input type="checkbox" id="mention" checked> @${name}</label>
      <input type="text" id="text" placeholder="例如：3号楼2单元楼道灯坏了，晚上黑乎乎的" autocomplete="off" maxlength="4000">
      <button class="send">发送</button>
    </form>
    <details class="hint" id="hint"><summary>可以这样试试</summary>@${name} 报修内容 · 进度 Q1001 · 催办 Q1001 · 我的诉求 · 同求 Q1001 · 满意 Q1001 · 帮助；工作人员（王建国、李红、赵强、陈静）：待办 · 受理 Q1001 · 转派 Q1001 王建国 · 办结 Q1001 已修好</details>
  </section>
</main>
<script>
const roleNames = { resident: '居民', officer: '工作人员', community_worker: '社区工作者', property_staff: '物业', admin: '管理员' };
const $ = (id) => document.getElementById(id);
/** The state: the conversation shown, the last transcript seq rendered in it, one poll at a time. */
let state = null, current = null, lastSeq = 0, generation = 0, timer = null, polling = false, pollAgain = false;
/** Scroll to the newest message when it arrives (after opening a conversation or sending). */
let follow = true;
/** The speaker chosen in each group, restored when the group is opened again. */
const speakers = new Map();
let sending = Promise.resolve();

function convItem(label, sub, key) {
  const item = document.createElement('button');
  item.type = 'button'; item.className = 'conv'; item.dataset.key = key;
  const title = document.createElement('span'); title.textContent = label;
  const small = document.createElement('small'); small.textContent = sub;
  item.append(title, small);
  item.onclick = () => open(key, label);
  return item;
}
const isRoom = (key) => key.startsWith('room:');
function defaultSpeaker() {
  const resident = state.contacts.find((c) => c.role === 'resident');
  return resident ? resident.id : (state.contacts[0] ? state.contacts[0].id : '');
}
function restoreSpeaker() {
  if (!current || !state) return;
  const wanted = isRoom(current) ? speakers.get(current) : current.slice(5);
  const from = $('from');
  from.value = wanted && [...from.options].some((o) => o.value === wanted) ? wanted : defaultSpeaker();
}
function markActive() {
  document.querySelectorAll('.conv').forEach((d) => d.classList.toggle('active', d.dataset.key === current));
}
async function load() {
  state = await (await fetch('/sandbox/api/state')).json();
  $('rooms').replaceChildren(...state.rooms.map((r) => convItem(r.topic, r.xiaoqu ? r.xiaoqu : (r.kind === 'officers' ? '工作群' : '未绑定（机器人不说话）'), 'room:' + r.id)));
  $('privates').replaceChildren(...[...state.contacts].sort((a, b) => (a.role === 'resident') - (b.role === 'resident')).map((c) => convItem(c.name, roleNames[c.role] || c.role, 'with:' + c.id)));
  $('from').replaceChildren(...[...state.contacts].sort((a, b) => (b.role === 'resident') - (a.role === 'resident')).map((c) => { const o = document.createElement('option'); o.value = c.id; o.textContent = c.name + '（' + (roleNames[c.role] || c.role) + '）'; return o; }));
  markActive();
  restoreSpeaker();
}
function open(key, label) {
  if (key === current) return;
  current = key; lastSeq = 0; generation++; follow = true;
  $('log').replaceChildren();
  $('status').textContent = '';
  markActive();
  const room = isRoom(key);
  $('title').textContent = room ? label : '与 ' + state.bot.name + ' 的私聊（以 ' + label + ' 的身份）';
  $('mention').parentElement.style.display = room ? '' : 'none';
  $('from').disabled = !room; $('newName').disabled = !room;
  restoreSpeaker();
  const chip = document.querySelector('.conv.active');
  if (chip) chip.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  poll();
}
function bubble(m) {
  const div = document.createElement('div');
  div.className = 'msg' + (m.fromId === state.bot.id ? ' bot' : '');
  div.dataset.seq = String(m.seq);
  const inner = document.createElement('div');
  const who = document.createElement('div'); who.className = 'who';
  who.textContent = m.from + ' · ' + new Date(m.at).toLocaleTimeString('zh-CN');
  const text = document.createElement('div'); text.className = 'bubble'; text.textContent = m.text;
  inner.append(who, text); div.append(inner);
  return div;
}
function render(messages) {
  const log = $('log');
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  let added = 0;
  for (const m of messages) {
    // Each entry once: a late or repeated answer never draws a second bubble.
    if (m.seq <= lastSeq) continue;
    lastSeq = m.seq;
    log.append(bubble(m));
    added++;
  }
  if (added > 0 && (follow || atBottom)) { log.scrollTop = log.scrollHeight; follow = false; }
}
function schedule(ms) { clearTimeout(timer); timer = setTimeout(poll, ms); }
async function poll() {
  clearTimeout(timer);
  if (!current) return;
  // One request at a time: a poll asked for meanwhile runs right after this one.
  if (polling) { pollAgain = true; return; }
  polling = true; pollAgain = false;
  const asked = generation, key = current;
  const q = isRoom(key) ? 'room=' + encodeURIComponent(key.slice(5)) : 'with=' + encodeURIComponent(key.slice(5));
  try {
    const res = await fetch('/sandbox/api/transcript?' + q + '&after=' + lastSeq);
    if (res.ok) {
      const body = await res.json();
      if (asked === generation) render(body.messages || []);
    }
  } catch (e) { /* the server may be restarting: the next poll tries again */ }
  polling = false;
  if (pollAgain || asked !== generation) poll(); else schedule(800);
}
async function send(key, body, text) {
  let res;
  try {
    res = await fetch('/sandbox/api/say', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (e) { res = null; }
  if (!res || !res.ok) {
    let message = '发送失败，请稍后再试。';
    try { if (res) message = (await res.json()).error.message; } catch (e) { /* not JSON */ }
    $('status').textContent = message;
    if (!$('text').value) $('text').value = text;
    return;
  }
  $('status').textContent = '';
  const said = await res.json();
  // A newcomer stays the speaker in this group after the list of people is reloaded.
  if (isRoom(key) && said.from) speakers.set(key, said.from);
  if (key === current) schedule(150);
}
$('from').onchange = () => { if (current && isRoom(current)) speakers.set(current, $('from').value); };
$('form').onsubmit = (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text || !current) return;
  const key = current;
  const newName = isRoom(key) ? $('newName').value.trim() : '';
  const from = newName || $('from').value;
  const body = isRoom(key)
    ? { room: key.slice(5), from, text, mentionBot: $('mention').checked }
    : { to: 'bot', from: key.slice(5), text };
  $('text').value = '';
  $('newName').value = '';
  follow = true;
  // Sent in the order typed, however fast.
  sending = sending.then(() => send(key, body, text).then(() => { if (newName && key === current) return load(); }));
};
if (window.matchMedia('(min-width: 701px)').matches) $('hint').open = true;
load().then(() => { const first = state.rooms[0]; if (first) open('room:' + first.id, first.topic); });
</script>
</body>
</html>`
}
