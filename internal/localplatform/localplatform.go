// Package localplatform runs the whole platform in one process on embedded or
// emulated parts: Cloud Storage in process (fake-gcs-server, with signed URLs
// enforced), the Firestore emulator, DuckDB in place of BigQuery, and a local
// token issuer. It serves every /v1 route on one port, each function at
// /<Name> as functions-framework does, and delivers a storage "finalized"
// CloudEvent to Ingest for every finished upload, as Eventarc would.
//
// It is local only: the deployed build (the module root package) never
// imports it, so Cloud Functions carry no cgo, emulator or DuckDB.
package localplatform

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gfirestore "cloud.google.com/go/firestore"
	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"

	"rentroll.ai/rentroll/platform"
	"rentroll.ai/rentroll/platform/boot"
	"rentroll.ai/rentroll/shared/auth"
	"rentroll.ai/rentroll/shared/auth/localissuer"
	"rentroll.ai/rentroll/shared/billing"
	"rentroll.ai/rentroll/shared/config"
	"rentroll.ai/rentroll/shared/duckdb"
	"rentroll.ai/rentroll/shared/errs"
	"rentroll.ai/rentroll/shared/firestore"
	"rentroll.ai/rentroll/shared/firestoreemu"
	"rentroll.ai/rentroll/shared/gcs"
	"rentroll.ai/rentroll/shared/gcsemu"
	"rentroll.ai/rentroll/shared/objects"
	"rentroll.ai/rentroll/shared/retry"
	"rentroll.ai/rentroll/shared/tenancy"
	"rentroll.ai/rentroll/shared/uploads"
	"rentroll.ai/rentroll/shared/warehouse"
	"rentroll.ai/rentroll/shared/web"
)

// Local defaults.
const (
	DefaultProject       = "rentroll-local"
	DefaultUploadsBucket = "rentroll-local-uploads"
	DefaultFinanceBucket = "rentroll-local-finance"
	DefaultBootstrap     = "local|super-admin"
	// DefaultAdminEmail is the local super admin's sign-in e-mail.
	DefaultAdminEmail = "admin@localhost"
	// SigningAccount is the account named in local signed URLs.
	SigningAccount = "uploads-signer@rentroll-local.iam.gserviceaccount.com"
)

// Options configure Start.
type Options struct {
	Addr    string        // listen address, e.g. 127.0.0.1:8080 (":0" style picks a port)
	DataDir string        // all state lives here and survives restarts
	Config  config.Config // from the environment; local defaults fill the gaps
	Log     *slog.Logger
	// FirestoreHost, when set (FIRESTORE_EMULATOR_HOST), is a running emulator
	// to use instead of starting one.
	FirestoreHost string
	// Progress receives one line per start-up step, for the person waiting.
	Progress io.Writer
	// PersistEvery is how often Firestore state is exported to DataDir when
	// something was written (0 = DefaultPersistEvery). It bounds what a
	// kill -9 loses; a clean stop exports everything.
	PersistEvery time.Duration
	// ConsoleDir, when set, is the built web console (web/dist), served at /
	// for the console's own routes.
	ConsoleDir string
}

// DefaultPersistEvery is the local platform's Firestore export period.
const DefaultPersistEvery = 2 * time.Second

// Platform is a running local platform.
type Platform struct {
	URL    string
	Issuer *localissuer.Issuer
	// Provider is the local OpenID provider people sign in with; nil when
	// an external issuer is configured.
	Provider  *localissuer.Provider
	Functions *platform.Functions
	Config    config.Config
	Warehouse warehouse.Warehouse
	Objects   objects.Store
	Users     tenancy.UserStore
	Clients   tenancy.ClientStore

	log      *slog.Logger
	server   *http.Server
	serveErr chan error
	closers  []func(context.Context) error // run in reverse order by Close
	once     sync.Once
	closeErr error
	events   sync.WaitGroup
	stopping chan struct{}

	uploads    uploads.Store
	reconciled Reconciliation
	// export writes Firestore state to the data directory (nil with an
	// external emulator, whose data is not ours to keep); dirty says a
	// write may have happened since the last export.
	export func(context.Context) error
	dirty  atomic.Bool
	// The console's files and the storage origin its uploads go to.
	consoleDir, storageURL string
}

// Start brings the platform up and returns once it serves. On failure it
// stops whatever it had started.
func Start(ctx context.Context, opts Options) (*Platform, error) {
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	cfg := withLocalDefaults(opts.Config)
	p := &Platform{Config: cfg, log: opts.Log, serveErr: make(chan error, 1), stopping: make(chan struct{})}
	p.consoleDir = opts.ConsoleDir
	if err := p.start(ctx, opts, cfg); err != nil {
		// p is never nil here, so whatever had started is stopped.
		_ = p.Close(context.Background())
		return nil, err
	}
	return p, nil
}

// start brings the parts up one by one, in the order of the sections
// below, registering each one's stop in p.closers as soon as it runs. The
// start-up sequence proper (datasets, bootstrap, identity, assembly) is
// platform/boot's, shared with production; what is local is the adapters.
func (p *Platform) start(ctx context.Context, opts Options, cfg config.Config) error {
	progress := opts.Progress
	if progress == nil {
		progress = io.Discard
	}
	step := func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }

	dataDir, err := p.openDataDir(opts.DataDir)
	if err != nil {
		return err
	}
	ln, err := p.listen(opts.Addr)
	if err != nil {
		return err
	}
	verifier, err := p.openIssuer(dataDir, cfg, step)
	if err != nil {
		return err
	}
	fsClient, regClient, err := p.startFirestore(ctx, dataDir, opts.FirestoreHost, cfg, step)
	if err != nil {
		return err
	}
	if err := p.openWarehouse(dataDir, step); err != nil {
		return err
	}
	if err := p.startStorage(ctx, dataDir, cfg, step); err != nil {
		return err
	}
	if err := p.boot(ctx, dataDir, cfg, fsClient, regClient, verifier, step); err != nil {
		return err
	}
	p.scheduleBilling(cfg)
	return p.serve(ctx, ln, opts.PersistEvery, step)
}

// openDataDir makes the data directory and takes its lock: one platform per
// data directory, since two would each export Firestore over the other's and
// write the same DuckDB file. It returns the directory's absolute path.
func (p *Platform) openDataDir(dir string) (string, error) {
	dataDir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", fmt.Errorf("cannot create the data directory %s: %w (pass --data DIR to use another)", dir, err)
	}
	unlock, err := lockDataDir(dataDir)
	if err != nil {
		return "", dataDirError(dir, err)
	}
	p.closers = append(p.closers, func(context.Context) error { unlock(); return nil })
	return dataDir, nil
}

// listen opens the platform's address first, so that the issuer and the
// signed URLs can name it.
func (p *Platform) listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(addr, err)
	}
	p.closers = append(p.closers, func(context.Context) error { _ = ln.Close(); return nil })
	p.URL = "http://" + ln.Addr().String()
	return ln, nil
}

// openIssuer opens the local issuer. Its key also signs upload URLs, so it
// is opened even when an external issuer verifies tokens. It returns the
// verifier configuration for boot: the local issuer's, or nil when an
// external issuer is configured (boot then verifies against that).
func (p *Platform) openIssuer(dataDir string, cfg config.Config, step func(string, ...any)) (*auth.Config, error) {
	var err error
	p.Issuer, err = localissuer.Open(dataDir, p.URL+"/", localissuer.WithClaimsNamespace(cfg.ClaimsNamespace))
	if err != nil {
		return nil, err
	}
	if cfg.AuthConfigured() {
		step("auth: external issuer %s", cfg.AuthIssuer)
		return nil, nil
	}
	step("auth: local issuer %s", p.Issuer.Issuer())
	vcfg := p.Issuer.VerifierConfig()
	return &vcfg, nil
}

// startFirestore connects to the emulator at host, or starts one whose
// state lives in the data directory when host is empty. It returns a client
// of the default database and one of the registry's own database, as in
// production (the emulator keeps named databases apart).
func (p *Platform) startFirestore(ctx context.Context, dataDir, host string, cfg config.Config, step func(string, ...any)) (fsClient, regClient *gfirestore.Client, err error) {
	if host == "" {
		step("firestore: starting the emulator (a few seconds)…")
		logFile, err := os.OpenFile(filepath.Join(dataDir, "firestore-emulator.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, nil, err
		}
		emu, err := firestoreemu.Start(ctx, firestoreemu.Options{
			DataDir: filepath.Join(dataDir, "firestore"), Projects: []string{cfg.Project}, Log: logFile,
			Databases: []string{cfg.RegistryDatabase}, // persisted beside "(default)"
		})
		if err != nil {
			logFile.Close()
			return nil, nil, err
		}
		p.closers = append(p.closers, func(context.Context) error {
			err := emu.Stop()
			logFile.Close()
			return err
		})
		p.export = emu.Export
		host = emu.Host()
	}
	step("firestore: %s (project %s)", host, cfg.Project)
	fsClient, err = firestoreemu.NewClient(ctx, host, cfg.Project)
	if err != nil {
		return nil, nil, err
	}
	p.closers = append(p.closers, func(context.Context) error { return fsClient.Close() })
	regClient, err = firestoreemu.NewDatabaseClient(ctx, host, cfg.Project, cfg.RegistryDatabase)
	if err != nil {
		return nil, nil, err
	}
	p.closers = append(p.closers, func(context.Context) error { return regClient.Close() })
	// A data directory written before the registry had its own database
	// keeps its clients and users: they move over once.
	if n, err := firestore.MoveRegistry(ctx, fsClient, regClient); err != nil {
		return nil, nil, fmt.Errorf("move the registry to its own Firestore database: %w", err)
	} else if n > 0 {
		step("firestore: moved %d registry documents to the %s database", n, cfg.RegistryDatabase)
		p.dirty.Store(true)
	}
	return fsClient, regClient, nil
}

// openWarehouse opens the DuckDB warehouse in the data directory.
func (p *Platform) openWarehouse(dataDir string, step func(string, ...any)) error {
	path := filepath.Join(dataDir, "warehouse.duckdb")
	wh, err := duckdb.Open(path)
	if err != nil {
		return err
	}
	p.closers = append(p.closers, func(context.Context) error { return wh.Close() })
	p.Warehouse = wh
	step("warehouse: DuckDB %s", path)
	return nil
}

// startStorage starts the storage emulator, which enforces what Cloud
// Storage enforces on signed URLs and hands every finished upload to
// deliver, as Eventarc would.
func (p *Platform) startStorage(ctx context.Context, dataDir string, cfg config.Config, step func(string, ...any)) error {
	emu, err := gcsemu.Start(ctx, gcsemu.Config{
		DataDir:        filepath.Join(dataDir, "storage"),
		Addr:           "127.0.0.1:0",
		Buckets:        []string{cfg.UploadsBucket, cfg.FinanceBucket},
		SigningKey:     &p.Issuer.PrivateKey().PublicKey,
		AccessID:       SigningAccount,
		MaxObjectBytes: cfg.MaxUploadBytes,
		OnFinalize:     p.deliver,
	})
	if err != nil {
		return err
	}
	p.closers = append(p.closers, func(context.Context) error { return emu.Close() })
	sc, err := emu.Client(ctx)
	if err != nil {
		return err
	}
	p.closers = append(p.closers, func(context.Context) error { return sc.Close() })
	p.Objects = gcs.New(sc, gcs.SigningConfig{
		GoogleAccessID: SigningAccount, Signer: p.Issuer.Signer(),
		Hostname: strings.TrimPrefix(emu.URL(), "http://"), Scheme: "http",
	})
	p.storageURL = emu.URL()
	step("storage: %s (buckets %s, %s)", emu.URL(), cfg.UploadsBucket, cfg.FinanceBucket)
	return nil
}

// localBillingConcurrency bounds the billing count statements in flight:
// DuckDB serves one statement at a time well; BigQuery's default of 8 is
// slower here (measured in shared/billing's benchmark).
const localBillingConcurrency = 2

// boot runs the shared start-up sequence on the local adapters. Without an
// external issuer, people sign in at the local provider.
func (p *Platform) boot(ctx context.Context, dataDir string, cfg config.Config, fsClient, regClient *gfirestore.Client, verifier *auth.Config, step func(string, ...any)) error {
	a := boot.Adapters{
		Log: p.log, Firestore: fsClient, Registry: regClient, Warehouse: p.Warehouse, Objects: p.Objects,
		Verifier: verifier, BillingConcurrency: localBillingConcurrency,
	}
	if !cfg.AuthConfigured() {
		a.Identity = func(ctx context.Context, st boot.Stores) (tenancy.IdentityProvider, error) {
			if err := p.startProvider(ctx, dataDir, cfg, st.Registry, step); err != nil {
				return nil, err
			}
			return p.Provider, nil
		}
	}
	b, err := boot.Start(ctx, cfg, a)
	if err != nil {
		return err
	}
	p.Functions = b.Functions
	p.Users, p.Clients, p.uploads = b.Stores.Registry, b.Stores.Registry, b.Stores.Uploads
	p.closers = append(p.closers, b.Close)
	return nil
}

// serve repairs what a crash left half-done, then serves, redelivers the
// uploads the repair found waiting, and starts the periodic Firestore export.
func (p *Platform) serve(ctx context.Context, ln net.Listener, persistEvery time.Duration, step func(string, ...any)) error {
	handler, err := p.handler(ctx)
	if err != nil {
		return err
	}
	rec, redeliver, err := p.reconcile(ctx)
	if err != nil {
		return err
	}
	p.reconciled = rec
	step("%s", rec)
	if !rec.Empty() {
		p.log.WarnContext(ctx, rec.String(), "restored", rec.Restored, "resumed", rec.Resumed, "removed", rec.Removed)
		p.dirty.Store(true)
	}
	p.server = &http.Server{Handler: p.markWrites(handler), ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: 64 << 10}
	go func() { p.serveErr <- p.server.Serve(ln) }()
	for _, o := range redeliver {
		go p.deliver(context.WithoutCancel(ctx), o)
	}
	if p.export != nil {
		if persistEvery <= 0 {
			persistEvery = DefaultPersistEvery
		}
		go p.persist(persistEvery)
	}
	return nil
}

// markWrites notes every request that may write, for persist.
func (p *Platform) markWrites(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
		default:
			p.dirty.Store(true)
		}
	})
}

// persist exports Firestore state every period while something was written,
// so that a kill -9 loses at most about one period of records (Close exports
// the rest on a clean stop).
func (p *Platform) persist(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stopping:
			return
		case <-t.C:
		}
		if !p.dirty.Swap(false) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := p.export(ctx); err != nil {
			p.dirty.Store(true) // try again next period
			p.log.Warn("Firestore export failed; retrying", "error", err.Error())
		}
		cancel()
	}
}

// startProvider opens the local OpenID provider and, while the bootstrap
// super admin has no password yet, prints a link that sets one.
func (p *Platform) startProvider(ctx context.Context, dataDir string, cfg config.Config, users localissuer.Directory, step func(string, ...any)) error {
	var extra []string
	for _, o := range cfg.AllowedOrigins {
		o = strings.TrimSuffix(o, "/")
		extra = append(extra, o+"/", o+"/callback")
	}
	prov, err := localissuer.NewProvider(p.Issuer, localissuer.ProviderConfig{
		DataDir: dataDir, Users: users, RedirectURIs: extra, Log: p.log,
	})
	if err != nil {
		return err
	}
	p.Provider = prov
	admin, err := prov.EnsurePerson(ctx, tenancy.Person{Subject: cfg.BootstrapAdmin, Email: DefaultAdminEmail, Role: tenancy.SuperAdmin})
	if err != nil {
		return fmt.Errorf("local super admin account: %w", err)
	}
	if !prov.HasPassword(admin.Subject) {
		inv, err := prov.Invite(ctx, admin)
		if err != nil {
			return err
		}
		step("auth: super admin %s has no password yet; set one at %s", admin.Email, inv.URL)
	}
	return nil
}

// scheduleBilling runs the monthly unit count on the Cloud Scheduler job's
// schedule (06:00 on the 1st, in the billing time zone) while the platform
// runs; POST /v1/billing/runs and /v1/admin/billing/runs run it on demand.
func (p *Platform) scheduleBilling(cfg config.Config) {
	loc, err := time.LoadLocation(cfg.BillingTimeZone)
	if err != nil {
		loc = time.UTC
	}
	go func() {
		for {
			next, err := billing.NextRun(cfg.BillingSchedule, time.Now(), loc)
			if err != nil {
				p.log.Error("the monthly unit count is not scheduled", "err", err)
				return
			}
			select {
			case <-p.stopping:
				return
			case <-time.After(time.Until(next)):
			}
			month := p.Functions.Billing.DefaultMonth()
			if _, err := p.Functions.Billing.Run(context.Background(), month, "local-schedule"); err != nil {
				p.log.Error("billing run failed", "month", month, "error", err.Error())
			}
			p.dirty.Store(true)
		}
	}()
}

// withLocalDefaults fills what production configures and local mode invents.
func withLocalDefaults(c config.Config) config.Config {
	if c.Project == "" {
		c.Project = DefaultProject
	}
	if c.UploadsBucket == "" {
		c.UploadsBucket = DefaultUploadsBucket
	}
	if c.FinanceBucket == "" {
		c.FinanceBucket = DefaultFinanceBucket
	}
	if c.BootstrapAdmin == "" {
		c.BootstrapAdmin = DefaultBootstrap
	}
	if c.MaxUploadBytes == 0 {
		c.MaxUploadBytes = config.DefaultMaxUploadBytes
	}
	if c.UploadURLTTL == 0 {
		c.UploadURLTTL = config.DefaultUploadURLTTL
	}
	if c.ClaimsNamespace == "" {
		c.ClaimsNamespace = config.DefaultClaimsNamespace
	}
	if c.RegistryDatabase == "" {
		c.RegistryDatabase = config.DefaultRegistryDatabase
	}
	return c
}

// handler serves the API on one mux, each function under /<Name>/, the local
// issuer's JWKS, and CloudEvents on /Ingest.
func (p *Platform) handler(ctx context.Context) (http.Handler, error) {
	jwks := p.Issuer.JWKSHandler()
	mux := http.NewServeMux()
	mux.Handle("/", p.Functions.APIHandler(web.Route{
		Name: "jwks", Method: http.MethodGet, Path: auth.JWKSPath, Access: web.Public,
		Handler: func(w http.ResponseWriter, r *http.Request) error { jwks.ServeHTTP(w, r); return nil },
	}))
	for _, name := range platform.HTTPFunctions() {
		fn := p.Functions.Handler(name)
		mux.Handle("/"+name+"/", http.StripPrefix("/"+name, fn))
		// The bare /<Name> is the function's root, answered by its own
		// router (a JSON 404), not a redirect.
		mux.Handle("/"+name, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawPath = "/", ""
			fn.ServeHTTP(w, r2)
		}))
	}
	if p.Provider != nil {
		p.Provider.Register(mux)
	}
	ce, err := CloudEventHandler(ctx, p.Functions.Ingest)
	if err != nil {
		return nil, err
	}
	mux.Handle("/"+platform.Ingest, ce)
	if p.consoleDir != "" {
		return consoleHandler(p.consoleDir, p.storageURL, mux), nil
	}
	return mux, nil
}

// CloudEventHandler receives CloudEvents over HTTP (binary or structured
// mode) as functions-framework does: the handler's error answers 500, which
// makes Eventarc redeliver, and a request that is not a CloudEvent answers 400.
func CloudEventHandler(ctx context.Context, fn func(context.Context, event.Event) error) (http.Handler, error) {
	proto, err := cloudevents.NewHTTP()
	if err != nil {
		return nil, err
	}
	safe := func(ctx context.Context, e event.Event) (err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("panic in event handler: %v", v)
			}
		}()
		return fn(ctx, e)
	}
	h, err := cloudevents.NewHTTPReceiveHandler(ctx, proto, safe)
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		structured := strings.HasPrefix(r.Header.Get("Content-Type"), "application/cloudevents")
		if r.Header.Get("Ce-Specversion") == "" && !structured {
			// functions-framework answers 400 to a request that is no CloudEvent.
			web.WriteError(w, r, errs.E(errs.Invalid, "not a CloudEvent: binary mode needs ce-* headers, structured mode application/cloudevents+json"))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, uploads.MaxEventBytes)
		h.ServeHTTP(w, r)
	}), nil
}

// Serving reports the server's end: nil while it serves.
func (p *Platform) Serving() <-chan error { return p.serveErr }

// Close stops the server, waits for in-flight event deliveries, and then
// stops every part in reverse order of start, so that nothing is written to a
// closed store. It is safe to call more than once.
func (p *Platform) Close(ctx context.Context) error {
	p.once.Do(func() {
		var all []error
		if p.server != nil {
			if err := p.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
				all = append(all, err)
			}
		}
		close(p.stopping)
		p.events.Wait()
		for i := len(p.closers) - 1; i >= 0; i-- {
			if err := p.closers[i](ctx); err != nil {
				all = append(all, err)
			}
		}
		p.closeErr = errors.Join(all...)
	})
	return p.closeErr
}

// FinalizedEvent builds the CloudEvent Eventarc delivers when an object is
// finalized; numbers are strings, as in Cloud Storage's JSON API.
func FinalizedEvent(a objects.Attrs) event.Event {
	e := cloudevents.NewEvent()
	e.SetID(fmt.Sprintf("%s/%s/%d", a.Bucket, a.Name, a.Generation))
	e.SetSource("//storage.googleapis.com/projects/_/buckets/" + a.Bucket)
	e.SetType(uploads.FinalizedEventType)
	e.SetSubject("objects/" + a.Name)
	e.SetTime(a.Created)
	data := map[string]any{
		"kind": "storage#object", "bucket": a.Bucket, "name": a.Name,
		"id":             fmt.Sprintf("%s/%s/%d", a.Bucket, a.Name, a.Generation),
		"generation":     strconv.FormatInt(a.Generation, 10),
		"metageneration": strconv.FormatInt(a.Metageneration, 10),
		"size":           strconv.FormatInt(a.Size, 10),
		"contentType":    a.ContentType,
		"timeCreated":    a.Created.UTC().Format(time.RFC3339Nano),
		"updated":        a.Created.UTC().Format(time.RFC3339Nano),
		"storageClass":   "STANDARD",
	}
	if len(a.MD5) > 0 {
		data["md5Hash"] = base64.StdEncoding.EncodeToString(a.MD5)
	}
	_ = e.SetData(cloudevents.ApplicationJSON, data) // a map always encodes
	return e
}

// deliverPolicy is how the local platform redelivers an event Ingest
// failed: as Eventarc does, any error means "again later"; here at most six
// times within about 6 s, so that a fault that outlasts that is seen at once.
var deliverPolicy = retry.Policy{Attempts: 6, Base: 200 * time.Millisecond, Max: 3200 * time.Millisecond, Retryable: retry.Always}

// deliver hands a finished upload to Ingest as Eventarc would: retrying with
// backoff while Ingest returns an error (a transient fault), up to a bound,
// and giving up when the platform stops.
func (p *Platform) deliver(ctx context.Context, a objects.Attrs) {
	select {
	case <-p.stopping:
		return
	default:
	}
	p.events.Add(1)
	defer p.events.Done()
	e := FinalizedEvent(a)
	defer p.dirty.Store(true)
	// The waits between attempts end with ctx or with the platform; an
	// attempt under way runs to its end on ctx, so that Close (which waits
	// for deliveries) never cuts a load in half.
	waits, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-p.stopping:
			cancel()
		case <-waits.Done():
		}
	}()
	policy := deliverPolicy
	policy.OnRetry = func(attempt int, err error, wait time.Duration) {
		p.log.WarnContext(ctx, "ingest delivery failed; retrying", "object", a.Name, "attempt", attempt, "wait", wait,
			"error", err.Error(), "retryable", errs.Retryable(err))
	}
	err := retry.Do(waits, policy, func(context.Context, int) error { return p.Functions.Ingest(ctx, e) })
	switch {
	case err == nil:
	case isStopping(p.stopping):
		p.log.WarnContext(ctx, "ingest delivery abandoned at shutdown; the upload stays pending", "object", a.Name)
	default:
		p.log.ErrorContext(ctx, "ingest delivery abandoned", "object", a.Name, "error", err.Error())
	}
}

// isStopping reports whether the platform's Close has begun.
func isStopping(stopping <-chan struct{}) bool {
	select {
	case <-stopping:
		return true
	default:
		return false
	}
}
