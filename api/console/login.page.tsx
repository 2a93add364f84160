import { CsrfField, Document, Messages } from './layout'
import { consolePath } from './session'

export function LoginPage(props: { csrf: string; next: string; error?: string; notice?: string }) {
  return (
    <Document title="登录">
      <main style="max-width:480px;margin:48px auto">
        <h1>改造助手 · 工作台登录</h1>
        <Messages error={props.error} notice={props.notice} />
        <section class="card">
          <form method="post" action={`${consolePath}/login`} class="stack">
            <CsrfField token={props.csrf} />
            <input type="hidden" name="next" value={props.next} />
            <label>
              访问令牌
              <input
                type="password"
                name="token"
                required
                autocomplete="current-password"
                maxlength={200}
                placeholder="gz_…"
              />
            </label>
            <button type="submit">登录</button>
          </form>
          <p class="muted">
            访问令牌即调用接口时使用的令牌，由管理员创建工作人员账号时发放；遗失可请管理员重新生成。
          </p>
        </section>
      </main>
    </Document>
  )
}

export function LogoutPage(props: { csrf: string }) {
  return (
    <Document title="退出">
      <main style="max-width:480px;margin:48px auto">
        <h1>退出工作台</h1>
        <section class="card">
          <form method="post" action={`${consolePath}/logout`} class="stack">
            <CsrfField token={props.csrf} />
            <button type="submit">确认退出</button>
          </form>
          <p>
            <a href={consolePath}>返回收件箱</a>
          </p>
        </section>
      </main>
    </Document>
  )
}

/** An error without the nav bar (the session may be what failed). */
export function BarePage(props: { title: string; message: string }) {
  return (
    <Document title={props.title}>
      <main style="max-width:640px;margin:48px auto">
        <h1>{props.title}</h1>
        <Messages error={props.message} />
        <p>
          <a href={consolePath}>返回收件箱</a> · <a href={`${consolePath}/login`}>重新登录</a>
        </p>
      </main>
    </Document>
  )
}
