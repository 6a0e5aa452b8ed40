package localissuer

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/randid"
)

// accountsFile keeps the local provider's accounts, relative to the data
// directory. It holds bcrypt hashes and hashed invitation tickets only.
const accountsFile = "auth/accounts.json"

// Password limits. bcrypt reads at most 72 bytes; a longer password would be
// silently cut, so it is refused instead.
const (
	MinPasswordLen = 8
	MaxPasswordLen = 72
)

// account is one person who can sign in to the local provider.
type account struct {
	Subject      string    `json:"sub"`
	Email        string    `json:"email"`
	Name         string    `json:"name,omitempty"`
	PasswordHash string    `json:"password_hash,omitempty"` // bcrypt; empty until an invitation is used
	Blocked      bool      `json:"blocked,omitempty"`
	TicketHash   string    `json:"ticket_hash,omitempty"` // SHA-256 of the open invitation's ticket
	TicketExpiry time.Time `json:"ticket_expires_at,omitzero"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// accounts is the file-backed account store. Every change rewrites the file
// atomically (temporary file, fsync, rename), so a crash leaves either the old
// or the new state. One process owns a data directory at a time.
type accounts struct {
	path string
	cost int

	mu   sync.Mutex
	subs map[string]*account // by subject
}

type accountsDoc struct {
	Accounts []*account `json:"accounts"`
}

func openAccounts(dataDir string, cost int) (*accounts, error) {
	a := &accounts{path: filepath.Join(dataDir, filepath.FromSlash(accountsFile)), cost: cost, subs: map[string]*account{}}
	b, err := os.ReadFile(a.path)
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: read %s", a.path)
	}
	var doc accountsDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, errs.Wrap(err, errs.Internal, "auth: %s is damaged", a.path)
	}
	for _, acc := range doc.Accounts {
		a.subs[acc.Subject] = acc
	}
	return a, nil
}

// save writes every account; the caller holds mu.
func (a *accounts) save() error {
	doc := accountsDoc{Accounts: make([]*account, 0, len(a.subs))}
	for _, acc := range a.subs {
		doc.Accounts = append(doc.Accounts, acc)
	}
	b, err := json.MarshalIndent(doc, "", " ")
	if err != nil {
		return errs.Wrap(err, errs.Internal, "auth: encode accounts")
	}
	dir := filepath.Dir(a.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return errs.Wrap(err, errs.Internal, "auth: create %s", dir)
	}
	tmp, err := os.CreateTemp(dir, ".accounts-*.tmp") // mode 0600
	if err != nil {
		return errs.Wrap(err, errs.Internal, "auth: write accounts")
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), a.path)
	}
	if err != nil {
		return errs.Wrap(err, errs.Internal, "auth: write accounts")
	}
	return nil
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// byEmail finds an account; the caller holds mu. A handful of local
// accounts makes a scan cheaper than keeping an index in step.
func (a *accounts) byEmail(email string) *account {
	e := normEmail(email)
	for _, acc := range a.subs {
		if normEmail(acc.Email) == e {
			return acc
		}
	}
	return nil
}

// ensure returns the account for email, creating it (with no password) if
// there is none. With sub set it updates that account's name instead.
func (a *accounts) ensure(sub, email, name string, now time.Time) (account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var acc *account
	if sub != "" {
		acc = a.subs[sub]
	} else {
		acc = a.byEmail(email)
	}
	switch {
	case acc == nil && sub != "":
		// A subject the super admin registered by hand: it gets an account
		// when it first needs one (an e-mail to invite).
		if email == "" {
			return account{}, errs.E(errs.Invalid, "an e-mail address is needed to give %s a local account", sub)
		}
		if other := a.byEmail(email); other != nil {
			return account{}, errs.E(errs.Conflict, "e-mail %s already has another account", email).WithReason("email_taken")
		}
		acc = &account{Subject: sub, Email: email, Name: name, CreatedAt: now}
		a.subs[sub] = acc
	case acc == nil:
		acc = &account{Subject: "local|" + randid.Hex(12), Email: email, Name: name, CreatedAt: now}
		a.subs[acc.Subject] = acc
	default:
		if name != "" {
			acc.Name = name
		}
	}
	acc.UpdatedAt = now
	return *acc, a.save()
}

// issueTicket gives the account a fresh invitation ticket, replacing any
// earlier one, and returns the ticket in clear (it is stored hashed).
func (a *accounts) issueTicket(sub string, expires, now time.Time) (string, account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := a.subs[sub]
	if acc == nil {
		return "", account{}, errs.E(errs.NotFound, "no local account %s", sub)
	}
	ticket := randomToken()
	acc.TicketHash, acc.TicketExpiry, acc.UpdatedAt = hashToken(ticket), expires, now
	return ticket, *acc, a.save()
}

// errTicket is the one answer for an unknown, used or expired ticket, so the
// page reveals nothing about which it was.
var errTicket = errs.E(errs.NotFound, "this invitation link has expired or was already used; ask your administrator for a new one").WithReason("invitation_expired")

// byTicket returns the account whose open ticket this is.
func (a *accounts) byTicket(ticket string, now time.Time) (account, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := a.ticketOwner(ticket, now)
	if acc == nil {
		return account{}, errTicket
	}
	return *acc, nil
}

func (a *accounts) ticketOwner(ticket string, now time.Time) *account {
	if ticket == "" || len(ticket) > 128 {
		return nil
	}
	h := hashToken(ticket)
	for _, acc := range a.subs {
		if acc.TicketHash != "" && subtle.ConstantTimeCompare([]byte(acc.TicketHash), []byte(h)) == 1 {
			if !now.Before(acc.TicketExpiry) {
				return nil
			}
			return acc
		}
	}
	return nil
}

// setPassword uses the ticket: it stores the password's hash and closes the
// ticket, so a link works once.
func (a *accounts) setPassword(ticket, password string, now time.Time) (account, error) {
	if err := checkPassword(password); err != nil {
		return account{}, err
	}
	// Hash outside the lock: bcrypt is deliberately slow.
	hash, err := bcrypt.GenerateFromPassword([]byte(password), a.cost)
	if err != nil {
		return account{}, errs.Wrap(err, errs.Internal, "auth: hash password")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := a.ticketOwner(ticket, now)
	if acc == nil {
		return account{}, errTicket
	}
	acc.PasswordHash, acc.TicketHash, acc.TicketExpiry, acc.UpdatedAt = string(hash), "", time.Time{}, now
	return *acc, a.save()
}

func checkPassword(pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return errs.E(errs.Invalid, "the password must have at least %d characters", MinPasswordLen)
	case len(pw) > MaxPasswordLen:
		return errs.E(errs.Invalid, "the password must have at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// dummyHash is compared against when the e-mail is unknown, so a sign-in
// takes as long whether or not the account exists.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("rentroll-no-such-account"), bcrypt.MinCost)

// check returns the account if email and password match and it may sign in.
func (a *accounts) check(email, password string) (account, bool) {
	a.mu.Lock()
	acc := a.byEmail(email)
	var cp account
	if acc != nil {
		cp = *acc
	}
	a.mu.Unlock()
	hash := []byte(cp.PasswordHash)
	if acc == nil || len(hash) == 0 {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return account{}, false
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil {
		return account{}, false
	}
	return cp, true
}

func (a *accounts) get(sub string) (account, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := a.subs[sub]
	if acc == nil {
		return account{}, false
	}
	return *acc, true
}

func (a *accounts) setBlocked(sub string, blocked bool, now time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	acc := a.subs[sub]
	if acc == nil || acc.Blocked == blocked {
		return nil
	}
	acc.Blocked, acc.UpdatedAt = blocked, now
	return a.save()
}

// randomToken is 256 random bits, URL-safe.
func randomToken() string { return randid.URLSafe(32) }

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}
