// Package logbuffer batches the service's output lines (JSON logs and EMF
// metric lines on stdout) into few writes. A write per line costs a system
// call per request, more CPU than formatting the line, and wakes the log
// collector reading the pipe each time. Lines are written when the buffer
// is full, every FlushEvery interval, and by Flush at exit, so a process
// that is killed loses at most one interval of lines.
package logbuffer

import (
	"context"
	"io"
	"sync"
	"time"
)

// Size is how many bytes are buffered before a write.
const Size = 64 << 10

// Writer buffers whole lines: every Write is expected to be one or more
// complete lines, and is never split between two writes to the underlying
// writer, so lines never interleave.
type Writer struct {
	out io.Writer
	wmu sync.Mutex // held while writing to out: keeps the lines in order

	mu   sync.Mutex
	buf  []byte
	full chan struct{} // a flush is needed now
}

// New returns a Writer that writes to out.
func New(out io.Writer) *Writer {
	return &Writer{out: out, buf: make([]byte, 0, Size), full: make(chan struct{}, 1)}
}

// Write buffers p; it never fails (a failing stdout is reported nowhere).
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= Size
	w.mu.Unlock()
	if full {
		select {
		case w.full <- struct{}{}:
		default:
		}
	}
	return len(p), nil
}

// Flush writes everything buffered so far.
func (w *Writer) Flush() {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.mu.Lock()
	pending := w.buf
	if len(pending) == 0 { // an idle interval: keep the buffer, allocate nothing
		w.mu.Unlock()
		return
	}
	w.buf = make([]byte, 0, max(Size, len(pending)))
	w.mu.Unlock()
	_, _ = w.out.Write(pending)
}

// FlushEvery flushes every interval, and whenever the buffer is full, until
// ctx ends; then once more.
func (w *Writer) FlushEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			w.Flush()
			return
		case <-t.C:
		case <-w.full:
		}
		w.Flush()
	}
}
