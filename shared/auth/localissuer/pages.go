package localissuer

import (
	"html/template"
	"net/http"

	"rentroll.ai/rentroll/shared/randid"
)

// pageData fills the provider's pages.
type pageData struct {
	Title   string
	Error   string
	Message string
	Link    string
	Txn     string
	Ticket  string
	Email   string
	Nonce   string // the CSP nonce of the page's style
}

// The pages are plain, server-rendered HTML: labelled fields, the error
// announced to screen readers, no script, so they work with any browser
// and assistive technology.
const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style nonce="{{.Nonce}}">
body{font-family:system-ui,sans-serif;max-width:26rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
label{display:block;margin-top:1rem;font-weight:600}
input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem;margin-top:.25rem}
button{margin-top:1.5rem;padding:.6rem 1.2rem;font-size:1rem}
.error{color:#a40000;border-left:4px solid #a40000;padding-left:.5rem}
</style>
</head>
<body>
<main>
<h1>{{.Title}}</h1>
{{if .Error}}<p class="error" role="alert" id="form-error">{{.Error}}</p>{{end}}
{{block "content" .}}{{end}}
</main>
</body>
</html>`

var (
	signInPage = template.Must(template.Must(template.New("signin").Parse(layout)).Parse(`{{define "content"}}
<form method="post" action="login">
<input type="hidden" name="txn" value="{{.Txn}}">
<label for="email">E-mail</label>
<input id="email" name="email" type="email" autocomplete="username" required value="{{.Email}}"{{if .Error}} aria-describedby="form-error"{{end}}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<p>No password yet? Use the invitation link your administrator sent you.</p>
{{end}}`))

	setPasswordPage = template.Must(template.Must(template.New("setpw").Parse(layout)).Parse(`{{define "content"}}
<p>Choose a password for <strong>{{.Email}}</strong>.</p>
<form method="post" action="invitation">
<input type="hidden" name="ticket" value="{{.Ticket}}">
<input type="text" name="username" autocomplete="username" value="{{.Email}}" hidden>
<label for="password">New password (at least 8 characters)</label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
<label for="password_confirm">Repeat the password</label>
<input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" minlength="8" maxlength="72" required>
<button type="submit">Set password</button>
</form>
{{end}}`))

	messagePage = template.Must(template.Must(template.New("message").Parse(layout)).Parse(`{{define "content"}}
<p>{{.Message}}</p>
{{if .Link}}<p><a href="{{.Link}}">Continue to RentRoll</a></p>{{end}}
{{end}}`))

	// webMessagePage answers a silent sign-in in a hidden frame: it posts the
	// response to the console's origin only.
	webMessagePage = template.Must(template.New("webmessage").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Signing in</title></head><body>
<script nonce="{{.Nonce}}">window.parent.postMessage(JSON.parse({{.Message}}), {{.Link}});</script>
</body></html>`))
)

// page renders t with the provider's security headers: no caching, no
// framing, no referrer (an invitation link carries its ticket), and a
// content security policy that admits only the page's own style.
func (p *Provider) page(w http.ResponseWriter, status int, t *template.Template, d pageData) {
	d.Nonce = randid.Hex(16)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'nonce-"+d.Nonce+"'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	if err := t.Execute(w, d); err != nil {
		p.log.Error("render page", "error", err.Error())
	}
}

func (p *Provider) errorPage(w http.ResponseWriter, status int, title, msg string) {
	p.page(w, status, messagePage, pageData{Title: title, Message: msg})
}

// webMessage renders the silent sign-in answer; only origin may frame it.
func (p *Provider) webMessage(w http.ResponseWriter, origin, msg string) {
	nonce := randid.Hex(16)
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; frame-ancestors "+origin)
	w.WriteHeader(http.StatusOK)
	_ = webMessagePage.Execute(w, pageData{Nonce: nonce, Message: msg, Link: origin})
}
