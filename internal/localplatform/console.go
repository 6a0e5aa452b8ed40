package localplatform

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// consolePaths are the web console's client-side routes: a browser that
// opens or reloads one of them gets the console's index.html, and the
// console's router draws the page. Everything else (the API under /v1,
// /healthz, /.well-known, each function at /<Name>, the sign-in provider's
// endpoints, /config.json) is never answered by the console.
var consolePaths = []string{"/clients/", "/admin/"}

// consoleExact are client-side routes without sub-paths.
var consoleExact = map[string]bool{"/": true, "/callback": true, "/clients": true, "/admin": true}

// ConsoleContentSecurityPolicy is the policy served with the console's
// page: scripts and styles only from the console itself (Recharts sets
// inline style attributes), API and sign-in calls to the same origin, and
// signed-URL uploads to the storage origin. The Auth0 SDK exchanges refresh
// tokens in a Web Worker it creates from a blob: URL, hence worker-src.
func ConsoleContentSecurityPolicy(storageOrigin string) string {
	connect := "'self'"
	if storageOrigin != "" {
		connect += " " + storageOrigin
	}
	return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"connect-src " + connect + "; worker-src 'self' blob:; frame-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
}

// consoleHandler serves the built console in dir (web/dist) in front of
// next: its assets under /assets/ and the files at its top level
// (favicon.svg), and index.html for its client-side routes. Other requests
// go to next unchanged.
func consoleHandler(dir, storageOrigin string, next http.Handler) http.Handler {
	files := http.FileServer(http.Dir(dir))
	csp := ConsoleContentSecurityPolicy(storageOrigin)
	top := map[string]bool{}
	if entries, err := os.ReadDir(dir); err == nil {
		for _, e := range entries {
			if !e.IsDir() && e.Name() != "index.html" {
				top["/"+e.Name()] = true
			}
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			next.ServeHTTP(w, r)
			return
		}
		p := path.Clean(r.URL.Path)
		switch {
		case strings.HasPrefix(p, "/assets/"):
			// Asset names carry a content hash: cache them for good.
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			files.ServeHTTP(w, r)
		case top[p]:
			w.Header().Set("Cache-Control", "public, max-age=3600")
			files.ServeHTTP(w, r)
		case isConsoleRoute(p):
			h := w.Header()
			h.Set("Cache-Control", "no-cache")
			h.Set("Content-Security-Policy", csp)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			f, err := os.Open(filepath.Join(dir, "index.html"))
			if err != nil {
				http.Error(w, "the console is not built: run npm run build in web/", http.StatusServiceUnavailable)
				return
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				http.Error(w, "the console cannot be read", http.StatusInternalServerError)
				return
			}
			http.ServeContent(w, r, "index.html", st.ModTime(), f)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

func isConsoleRoute(p string) bool {
	if consoleExact[p] {
		return true
	}
	for _, prefix := range consolePaths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}
