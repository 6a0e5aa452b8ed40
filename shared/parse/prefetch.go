package parse

import (
	"io"
	"sync"
	"sync/atomic"
)

// prefetcher reads rows on its own goroutine, a batch ahead of the parser,
// so decoding the file and normalizing its rows use both cores. Once the
// parser has found the header (setHeader), the reader also works out each
// row's facts (readFacts), the part of the row's work that needs nothing
// else. Memory stays bounded: at most prefetchBatches batches of
// prefetchRows rows are queued, and the facts of a batch are reused.
type prefetcher struct {
	src      rowSource
	date1904 bool
	hdr      atomic.Pointer[header]
	ch       chan rowBatch
	free     chan []rowFacts // facts of batches the parser is done with
	done     chan struct{}
	wg       sync.WaitGroup
	cur      rowBatch
	pos      int
	err      error
	ended    bool
}

type rowBatch struct {
	rows  [][]string
	facts []rowFacts // facts[i].hdr is nil when row i was read before the header
	err   error      // io.EOF after the last row
}

const (
	prefetchRows    = 256
	prefetchBatches = 4
)

func newPrefetcher(src rowSource, date1904 bool) *prefetcher {
	p := &prefetcher{src: src, date1904: date1904, ch: make(chan rowBatch, prefetchBatches),
		free: make(chan []rowFacts, prefetchBatches+2), done: make(chan struct{})}
	p.wg.Add(1)
	go p.read()
	return p
}

func (p *prefetcher) read() {
	defer p.wg.Done()
	for {
		b := rowBatch{rows: make([][]string, 0, prefetchRows)}
		select {
		case b.facts = <-p.free:
		default:
			b.facts = make([]rowFacts, prefetchRows)
		}
		for len(b.rows) < prefetchRows {
			row, err := p.src.Next()
			if err != nil {
				b.err = err
				break
			}
			fa := &b.facts[len(b.rows)]
			if h := p.hdr.Load(); h != nil {
				readFacts(h, row, p.date1904, fa)
			} else {
				fa.hdr = nil
			}
			b.rows = append(b.rows, row)
		}
		select {
		case p.ch <- b:
		case <-p.done:
			return
		}
		if b.err != nil {
			return
		}
	}
}

// Next returns the next row and its facts (valid until the next call), or
// the reader's error (io.EOF at the end) once the rows read before it are
// consumed.
func (p *prefetcher) Next() ([]string, *rowFacts, error) {
	for p.pos >= len(p.cur.rows) {
		if p.ended {
			return nil, nil, p.err
		}
		b, ok := <-p.ch
		if !ok {
			return nil, nil, io.EOF
		}
		if p.cur.facts != nil {
			select {
			case p.free <- p.cur.facts:
			default:
			}
		}
		p.cur, p.pos = b, 0
		if b.err != nil {
			p.ended, p.err = true, b.err
		}
	}
	row := p.cur.rows[p.pos]
	p.cur.rows[p.pos] = nil
	fa := &p.cur.facts[p.pos]
	p.pos++
	return row, fa, nil
}

// setHeader makes the reader work out the facts of the rows it reads from
// now on under h (rows already queued have none, or another header's).
func (p *prefetcher) setHeader(h *header) { p.hdr.Store(h) }

// Close stops the reader goroutine and waits for it, so the source can be
// closed safely afterwards.
func (p *prefetcher) Close() error {
	close(p.done)
	p.wg.Wait()
	return nil
}
