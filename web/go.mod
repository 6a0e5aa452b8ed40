// The web console is not Go: this file makes web/ a module of its own so
// that `go vet ./...` and `go test ./...` from the repository root skip it
// (npm packages such as flatted ship .go files in node_modules).
module rentroll.ai/rentroll/web

go 1.26
