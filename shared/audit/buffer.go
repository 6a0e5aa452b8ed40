package audit

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"rentroll.ai/rentroll/shared/randid"
	"rentroll.ai/rentroll/shared/retry"
)

// Sink stores audit entries in batches.
type Sink interface {
	WriteAudit(ctx context.Context, batchID string, entries []Entry) error
}

// Buffer is a Recorder that queues entries and writes them in batches from
// one goroutine, so a request pays a channel send, not a warehouse write.
// Flush writes what is queued now; Close writes everything and stops. A batch
// whose write fails is retried with the same batch id (the sink loads it once).
type Buffer struct {
	sink     Sink
	log      *slog.Logger
	interval time.Duration
	maxBatch int

	ch      chan Entry
	flushCh chan chan error
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
	dropped atomic.Int64
	// ctx ends the writer's retries when Close runs out of time, so that
	// what is left goes to the log before the process stops.
	ctx    context.Context
	cancel context.CancelFunc
}

// writeRetry retries a failed batch write a few times within about 3 s;
// a sink error that is not transient is not retried.
var writeRetry = retry.Policy{Attempts: 5, Base: 200 * time.Millisecond, Max: 2 * time.Second}

// writeTimeout bounds one batch write.
const writeTimeout = 30 * time.Second

// NewBuffer starts a Buffer that writes at least every interval (default 1 s)
// or every maxBatch entries (default 500). capacity bounds the queue (default
// 10,000): when it is full, Record waits rather than lose an entry.
func NewBuffer(sink Sink, log *slog.Logger, interval time.Duration, maxBatch, capacity int) *Buffer {
	if interval <= 0 {
		interval = time.Second
	}
	if maxBatch <= 0 {
		maxBatch = 500
	}
	if capacity <= 0 {
		capacity = 10000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	b := &Buffer{
		sink: sink, log: log, interval: interval, maxBatch: maxBatch,
		ch: make(chan Entry, capacity), flushCh: make(chan chan error), done: make(chan struct{}), stopped: make(chan struct{}),
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	go b.loop()
	return b
}

// Record queues e. After Close it writes e directly, so nothing is lost.
func (b *Buffer) Record(ctx context.Context, e Entry) {
	select {
	case <-b.done:
		if err := b.sink.WriteAudit(context.WithoutCancel(ctx), newBatchID(), []Entry{e}); err != nil {
			b.log.ErrorContext(ctx, "audit write failed after close", "error", err.Error(), "action", e.Action)
		}
		return
	default:
	}
	select {
	case b.ch <- e:
	case <-b.done:
		b.Record(ctx, e)
	default:
		// The queue is full (the sink is failing or far behind): a request
		// must not wait for the audit trail, so the entry goes to the log,
		// which the alerting reads, instead of the table.
		b.dropped.Add(1)
		b.log.ErrorContext(ctx, "audit queue full; entry logged instead", "action", e.Action, "outcome", string(e.Outcome),
			"actor_sub", e.ActorSub, "client_id", e.ClientID, "status", e.Status, "request_id", e.RequestID)
	}
}

// Dropped is how many entries went to the log because the queue was full.
func (b *Buffer) Dropped() int64 { return b.dropped.Load() }

// Flush writes every entry queued before the call.
func (b *Buffer) Flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case b.flushCh <- reply:
	case <-b.stopped:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close writes everything queued and stops the writer. When ctx ends
// first, the writer stops retrying and logs what it could not write (it is
// given a moment to), and Close returns ctx's error.
func (b *Buffer) Close(ctx context.Context) error {
	b.once.Do(func() { close(b.done) })
	select {
	case <-b.stopped:
		b.cancel()
		return nil
	case <-ctx.Done():
		b.cancel()
		select {
		case <-b.stopped:
		case <-time.After(time.Second):
		}
		return ctx.Err()
	}
}

func (b *Buffer) loop() {
	defer close(b.stopped)
	tick := time.NewTicker(b.interval)
	defer tick.Stop()
	var batch []Entry
	write := func() error {
		if len(batch) == 0 {
			return nil
		}
		// Every attempt carries the same batch id: the sink loads it once.
		id := newBatchID()
		err := retry.Do(b.ctx, writeRetry, func(ctx context.Context, _ int) error {
			ctx, cancel := context.WithTimeout(ctx, writeTimeout)
			defer cancel()
			return b.sink.WriteAudit(ctx, id, batch)
		})
		if err == nil {
			batch = batch[:0]
			return nil
		}
		b.log.Error("audit batch write failed; entries logged instead", "error", err.Error(), "entries", len(batch))
		for _, e := range batch {
			b.log.Warn("audit", "action", e.Action, "outcome", string(e.Outcome), "actor_sub", e.ActorSub,
				"client_id", e.ClientID, "status", e.Status, "request_id", e.RequestID)
		}
		batch = batch[:0]
		return err
	}
	drain := func() {
		for {
			select {
			case e := <-b.ch:
				batch = append(batch, e)
				if len(batch) >= b.maxBatch {
					_ = write()
				}
			default:
				return
			}
		}
	}
	for {
		select {
		case e := <-b.ch:
			batch = append(batch, e)
			if len(batch) >= b.maxBatch {
				_ = write()
			}
		case <-tick.C:
			_ = write()
		case reply := <-b.flushCh:
			drain()
			reply <- write()
		case <-b.done:
			drain()
			_ = write()
			return
		}
	}
}

func newBatchID() string { return "audit-" + randid.Hex(12) }
