const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** The sandbox page: pick a group and a person, type, and watch the bot answer. No external assets. */
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
  body { margin: 0; font: 15px/1.5 -apple-system, "PingFang SC", "Microsoft YaHei", sans-serif; background: #ededed; color: #111; }
  header { background: #2e3238; color: #fff; padding: 10px 16px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 17px; margin: 0; font-weight: 600; }
  header a { color: #9fd3a8; font-size: 13px; }
  main { display: grid; grid-template-columns: 260px 1fr; height: calc(100vh - 46px); }
  aside { background: #f7f7f7; border-right: 1px solid #ddd; padding: 12px; overflow: auto; }
  aside h2 { font-size: 13px; color: #666; margin: 12px 0 6px; font-weight: normal; }
  .conv { padding: 8px 10px; border-radius: 4px; cursor: pointer; margin-bottom: 2px; }
  .conv:hover { background: #e4e4e4; } .conv.active { background: #c9e7cf; }
  .conv small { color: #888; display: block; font-size: 12px; }
  section { display: flex; flex-direction: column; min-width: 0; }
  #title { padding: 10px 16px; border-bottom: 1px solid #ddd; background: #f5f5f5; font-weight: 600; }
  #log { flex: 1; overflow: auto; padding: 16px; }
  .msg { display: flex; margin: 10px 0; gap: 8px; }
  .msg .who { font-size: 12px; color: #888; }
  .bubble { background: #fff; padding: 8px 12px; border-radius: 6px; max-width: 70ch; white-space: pre-wrap; word-break: break-word; }
  .msg.bot .bubble { background: #95ec69; }
  .msg.me { flex-direction: row-reverse; text-align: right; }
  form { display: flex; gap: 8px; padding: 10px 16px; border-top: 1px solid #ddd; background: #f5f5f5; flex-wrap: wrap; align-items: center; }
  select, input[type=text] { padding: 6px 8px; font-size: 15px; border: 1px solid #ccc; border-radius: 4px; }
  #text { flex: 1; min-width: 200px; }
  button { background: #07c160; color: #fff; border: 0; border-radius: 4px; padding: 7px 18px; font-size: 15px; cursor: pointer; }
  .hint { color: #888; font-size: 12px; padding: 0 16px 8px; background: #f5f5f5; }
</style>
</head>
<body>
<header><h1>${name} · 沙盒</h1><span>模拟微信群：选一个群和一位居民/工作人员，发消息看机器人如何回答。</span><a href="/api/docs">API 文档</a></header>
<main>
  <aside>
    <h2>群聊</h2><div id="rooms"></div>
    <h2>私聊机器人</h2><div id="privates"></div>
  </aside>
  <section>
    <div id="title">请选择一个会话</div>
    <div id="log"></div>
    <form id="form">
      <label>发言人 <select id="from"></select></label>
      <input type="text" id="newName" placeholder="或输入新名字" size="11">
      <label><input type="checkbox" id="mention" checked> @${name}</label>
      <input type="text" id="text" placeholder="例如：3号楼2单元楼道灯坏了，晚上黑乎乎的" autocomplete="off">
      <button>发送</button>
    </form>
    <div class="hint">试试：@${name} 报修内容 · 进度 Q1001 · 我的诉求 · 同求 Q1001 · 满意 Q1001 · 帮助；工作人员（王建国、李红、赵强、陈静）：待办 · 受理 Q1001 · 转派 Q1001 王建国 · 办结 Q1001 已修好</div>
  </section>
</main>
<script>
const roleNames = { resident: '居民', officer: '工作人员', community_worker: '社区工作者', property_staff: '物业', admin: '管理员' };
let state, current = null, after = 0, timer = null;
const $ = (id) => document.getElementById(id);
function convItem(label, sub, key) {
  const div = document.createElement('div');
  div.className = 'conv'; div.dataset.key = key;
  div.innerHTML = '<span></span><small></small>';
  div.firstChild.textContent = label; div.lastChild.textContent = sub;
  div.onclick = () => open(key, label);
  return div;
}
async function load() {
  state = await (await fetch('/sandbox/api/state')).json();
  $('rooms').replaceChildren(...state.rooms.map(r => convItem(r.topic, r.xiaoqu ? r.xiaoqu : (r.kind === 'officers' ? '工作群' : '未绑定（机器人不说话）'), 'room:' + r.id)));
  $('privates').replaceChildren(...[...state.contacts].sort((a, b) => (a.role === 'resident') - (b.role === 'resident')).map(c => convItem(c.name, roleNames[c.role] || c.role, 'with:' + c.id)));
  $('from').replaceChildren(...[...state.contacts].sort((a, b) => (b.role === 'resident') - (a.role === 'resident')).map(c => { const o = document.createElement('option'); o.value = c.id; o.textContent = c.name + '（' + (roleNames[c.role] || c.role) + '）'; return o; }));
}
function open(key, label) {
  current = key; after = 0; $('log').replaceChildren();
  document.querySelectorAll('.conv').forEach(d => d.classList.toggle('active', d.dataset.key === key));
  const isRoom = key.startsWith('room:');
  $('title').textContent = isRoom ? label : '与 ' + state.bot.name + ' 的私聊（以 ' + label + ' 的身份）';
  $('mention').parentElement.style.display = isRoom ? '' : 'none';
  if (!isRoom) $('from').value = key.slice(5);
  poll();
}
async function poll() {
  clearTimeout(timer);
  if (!current) return;
  const q = current.startsWith('room:') ? 'room=' + encodeURIComponent(current.slice(5)) : 'with=' + encodeURIComponent(current.slice(5));
  try {
    const res = await (await fetch('/sandbox/api/transcript?' + q + '&after=' + after)).json();
    for (const m of res.messages || []) {
      after = m.seq;
      const div = document.createElement('div');
      div.className = 'msg' + (m.fromId === state.bot.id ? ' bot' : '');
      div.innerHTML = '<div><div class="who"></div><div class="bubble"></div></div>';
      div.querySelector('.who').textContent = m.from + ' · ' + new Date(m.at).toLocaleTimeString('zh-CN');
      div.querySelector('.bubble').textContent = m.text;
      $('log').appendChild(div);
      $('log').scrollTop = $('log').scrollHeight;
    }
  } catch (e) { /* the server may be restarting */ }
  timer = setTimeout(poll, 800);
}
$('form').onsubmit = async (e) => {
  e.preventDefault();
  const text = $('text').value.trim();
  if (!text || !current) return;
  const from = $('newName').value.trim() || $('from').value;
  const body = current.startsWith('room:')
    ? { room: current.slice(5), from, text, mentionBot: $('mention').checked }
    : { to: 'bot', from: current.slice(5), text };
  const res = await fetch('/sandbox/api/say', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) { alert((await res.json()).error.message); return; }
  $('text').value = '';
  if ($('newName').value.trim()) { $('newName').value = ''; await load(); }
  setTimeout(poll, 150);
};
load().then(() => { const first = state.rooms[0]; if (first) open('room:' + first.id, first.topic); });
</script>
</body>
</html>`
}
