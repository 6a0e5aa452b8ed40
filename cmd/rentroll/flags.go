package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// helpRequested is -h or --help: the command's help goes to stdout and the
// command exits 0, since asking for help is not a mistake.
type helpRequested struct{ text string }

func (h helpRequested) Error() string { return h.text }

// commandDoc is what a command's --help says beyond its flags.
type commandDoc struct {
	summary string // one paragraph: what the command does
	example string // one or more lines to copy
}

// docs are the commands' help texts, keyed by the flag set's name, so any
// command that parses with parseFlags gets --help without more code.
var docs = map[string]commandDoc{
	"dev": {
		summary: "Runs the whole platform locally in one process: storage, the Firestore emulator, DuckDB, a token\nissuer. Prints \"ready <url>\" once it serves, and records the URL and issuer in --data, where the\nclient commands and `rentroll token` find them.",
		example: "rentroll dev --demo\nrentroll dev --addr 127.0.0.1:9090 --data /tmp/rr &   # then: rentroll token --data /tmp/rr …",
	},
	"demo": {
		summary: "One end-to-end run in a fresh temporary data directory: a client, its admin, every sample upload,\nthe portfolio summary and a billing run. Exits 0 on success.",
		example: "rentroll demo",
	},
	"token": {
		summary: "Mints an access token signed by the local platform's issuer (the one recorded in --data). The\nsubject must be registered (the bootstrap super admin local|super-admin always is).",
		example: "TOKEN=$(rentroll token --sub 'local|super-admin' --role super_admin)",
	},
	"clients create": {
		summary: "Creates a client (its dataset, records and upload prefix) and, with --admin-sub, its first\nclient_admin. Creating a client that exists changes nothing and says so.",
		example: "rentroll clients create --name \"Acme Homes\" --admin-sub 'local|alice' --token \"$TOKEN\"",
	},
	"upload": {
		summary: "Uploads a rent roll or competition survey (CSV or XLSX) through a signed URL, shows the transfer\nand then ingestion (pending → processing → loaded), and prints the outcome: the units loaded and\nwhat the other rows were, or the row-level errors. Exits 1 when the file is rejected.",
		example: "rentroll upload testdata/rentroll/onesite_rent_roll_detail.csv --client acme-homes --property cr02 --token \"$ALICE\"",
	},
	"uploads list": {
		summary: "Lists a client's uploads, newest first.",
		example: "rentroll uploads list --client acme-homes --status rejected --token \"$ALICE\"",
	},
	"uploads show": {
		summary: "Shows one upload as `upload` does when it finishes: check an upload later, e.g. after Ctrl-C.",
		example: "rentroll uploads show 20260331t120000abcdef01234 --client acme-homes --token \"$ALICE\"",
	},
	"uploads delete": {
		summary: "Withdraws a loaded upload (client_admin): its rows leave analytics, so the property's previous\nroll is in force again; billing months already run are not rewritten; the file is kept.",
		example: "rentroll uploads delete 20260331t120000abcdef01234 --client acme-homes --token \"$ALICE\"",
	},
	"uploads report": {
		summary: "Writes an upload's full report (every error and warning, and the rows set aside) to stdout, as\nJSON or, with --csv, as a spreadsheet.",
		example: "rentroll uploads report 20260331t120000abcdef01234 --client acme-homes --csv --token \"$ALICE\" > report.csv",
	},
	"analytics summary": {
		summary: "Prints the rent-roll summary (units, occupancy, rents) of a client, or of one property.",
		example: "rentroll analytics summary --client acme-homes --property cr02 --token \"$ALICE\"",
	},
	"billing run": {
		summary: "Runs the monthly billable-unit count for a month now (super_admin) and prints the run.",
		example: "rentroll billing run --month 2026-03 --token \"$TOKEN\"",
	},
	"schedules sync": {
		summary: "Creates or updates the Cloud Scheduler job that triggers the monthly unit count.",
		example: "rentroll schedules sync --project my-project --location us-central1 --service-account sa@my-project.iam.gserviceaccount.com",
	},
}

// helpText is a command's --help: usage, what it does, every flag with its
// description, and an example.
func helpText(fs *flag.FlagSet, usageLine string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "usage: %s\n", usageLine)
	doc := docs[fs.Name()]
	if doc.summary != "" {
		b.WriteString("\n")
		for _, l := range wrap(doc.summary, termWidth) {
			fmt.Fprintf(&b, "%s\n", l)
		}
	}
	b.WriteString("\nflags:\n")
	writeFlags(&b, fs)
	if doc.example != "" {
		b.WriteString("\nexample:\n")
		for _, l := range strings.Split(doc.example, "\n") {
			fmt.Fprintf(&b, "  %s\n", l)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// writeFlags lists a command's flags, GNU style (--name VALUE), each with its
// description and default.
func writeFlags(b *strings.Builder, fs *flag.FlagSet) {
	const indent = 24
	fs.VisitAll(func(f *flag.Flag) {
		typ, desc := flag.UnquoteUsage(f)
		left := "  --" + f.Name
		if typ != "" {
			left += " " + typ
		}
		switch f.DefValue {
		case "", "false", "0":
		default:
			desc += fmt.Sprintf(" (default %s)", f.DefValue)
		}
		lines := wrap(desc, termWidth-indent)
		if len(left) < indent-1 {
			fmt.Fprintf(b, "%-*s%s\n", indent, left, lines[0])
			lines = lines[1:]
		} else {
			fmt.Fprintf(b, "%s\n", left)
		}
		for _, l := range lines {
			fmt.Fprintf(b, "%*s%s\n", indent, "", l)
		}
	})
}

// wrap breaks text into lines of at most width characters, at spaces.
func wrap(text string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(text) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// parseArgs parses a command's flags, which may come before, between and
// after its arguments (`upload FILE --client C` and `upload --client C FILE`
// both work), and returns the arguments. -h/--help answers the command's help;
// an unknown flag or a flag without its value is a usage error naming it.
// Client commands' --api, when neither given nor set by RENTROLL_API, is the
// URL a running `rentroll dev` recorded in --data.
func parseArgs(fs *flag.FlagSet, args []string, usageLine string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequested{helpText(fs, usageLine)}
			}
			return nil, usageError{fmt.Sprintf("%s: %v\nusage: %s\n(`rentroll %s --help` lists every flag)", fs.Name(), err, usageLine, fs.Name())}
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" { // everything after -- is an argument
			pos = append(pos, args[1:]...)
			break
		}
		pos, args = append(pos, args[0]), args[1:]
	}
	if err := resolveAPI(fs); err != nil {
		return nil, err
	}
	return pos, nil
}

// parseFlags parses a command that takes no arguments besides its flags.
func parseFlags(fs *flag.FlagSet, args []string, usageLine string) error {
	pos, err := parseArgs(fs, args, usageLine)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q\nusage: %s", fs.Name(), pos[0], usageLine)}
	}
	return nil
}

// required names the flags among names that were left empty.
func required(fs *flag.FlagSet, usageLine string, names ...string) error {
	var missing []string
	for _, n := range names {
		if f := fs.Lookup(n); f != nil && f.Value.String() == "" {
			missing = append(missing, "--"+n)
		}
	}
	switch len(missing) {
	case 0:
		return nil
	case 1:
		return usageError{fmt.Sprintf("%s: %s is required\nusage: %s", fs.Name(), missing[0], usageLine)}
	}
	return usageError{fmt.Sprintf("%s: %s are required\nusage: %s", fs.Name(), strings.Join(missing, ", "), usageLine)}
}

// resolveAPI fills a client command's empty --api from the data directory's
// record of a running `rentroll dev` (or the default address when there is
// none), so that `dev --addr … --data …` carries over to every command given
// the same --data.
func resolveAPI(fs *flag.FlagSet) error {
	api, data := fs.Lookup("api"), fs.Lookup("data")
	if api == nil || data == nil || api.Value.String() != "" {
		return nil
	}
	st, err := readState(data.Value.String())
	if err != nil {
		return err
	}
	return api.Value.Set(st.URL)
}
