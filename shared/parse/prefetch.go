package parse

import (
	"io"
	"sync"
)

// prefetcher reads rows on its own goroutine, a batch ahead of the parser,
// so decoding the file and normalizing its rows use both cores. Memory stays
// bounded: at most prefetchBatches batches of prefetchRows rows are queued.
type prefetcher struct {
	src   rowSource
	ch    chan rowBatch
	done  chan struct{}
	wg    sync.WaitGroup
	cur   [][]string
	pos   int
	err   error
	ended bool
}

type rowBatch struct {
	rows [][]string
	err  error // io.EOF after the last row
}

const (
	prefetchRows    = 256
	prefetchBatches = 4
)

func newPrefetcher(src rowSource) *prefetcher {
	p := &prefetcher{src: src, ch: make(chan rowBatch, prefetchBatches), done: make(chan struct{})}
	p.wg.Add(1)
	go p.read()
	return p
}

func (p *prefetcher) read() {
	defer p.wg.Done()
	for {
		b := rowBatch{rows: make([][]string, 0, prefetchRows)}
		for len(b.rows) < prefetchRows {
			row, err := p.src.Next()
			if err != nil {
				b.err = err
				break
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

// Next returns the next row, or the reader's error (io.EOF at the end) once
// the rows read before it are consumed.
func (p *prefetcher) Next() ([]string, error) {
	for p.pos >= len(p.cur) {
		if p.ended {
			return nil, p.err
		}
		b, ok := <-p.ch
		if !ok {
			return nil, io.EOF
		}
		p.cur, p.pos = b.rows, 0
		if b.err != nil {
			p.ended, p.err = true, b.err
		}
	}
	row := p.cur[p.pos]
	p.cur[p.pos] = nil
	p.pos++
	return row, nil
}

// Close stops the reader goroutine and waits for it, so the source can be
// closed safely afterwards.
func (p *prefetcher) Close() error {
	close(p.done)
	p.wg.Wait()
	return nil
}
