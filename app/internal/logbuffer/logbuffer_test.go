package logbuffer

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder counts the writes it gets.
type recorder struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes++
	return r.buf.Write(p)
}

func (r *recorder) snapshot() (string, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String(), r.writes
}

// waitFor waits up to 5 s for the output to satisfy ok.
func (r *recorder) waitFor(t *testing.T, what string, ok func(text string) bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if text, _ := r.snapshot(); ok(text) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting: " + what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flushEvery runs w.FlushEvery(interval) until stop (or the test's end),
// which returns after FlushEvery's final flush.
func flushEvery(t *testing.T, w *Writer, interval time.Duration) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.FlushEvery(ctx, interval)
		close(done)
	}()
	stop = func() {
		cancel()
		<-done
	}
	t.Cleanup(stop)
	return stop
}

// Lines written concurrently all arrive whole, in few writes.
func TestLinesArriveWholeInFewWrites(t *testing.T) {
	var out recorder
	w := New(&out)
	stop := flushEvery(t, w, time.Hour)
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for j := range lines {
				_, _ = fmt.Fprintf(w, "{\"writer\":%d,\"line\":%d,\"pad\":%q}\n", i, j, strings.Repeat("x", 100))
			}
		})
	}
	wg.Wait()
	stop()
	text, writes := out.snapshot()
	got := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		if !strings.HasPrefix(l, `{"writer":`) || !strings.HasSuffix(l, `"}`) {
			t.Fatalf("broken line %q", l)
		}
	}
	if writes > writers*lines/50 {
		t.Errorf("%d writes for %d lines: not batched", writes, len(got))
	}
}

func TestFlushWritesWhatIsBuffered(t *testing.T) {
	var out recorder
	w := New(&out)
	_, _ = w.Write([]byte("one\n"))
	if text, _ := out.snapshot(); text != "" {
		t.Fatalf("written before a flush: %q", text)
	}
	w.Flush()
	w.Flush()
	if text, writes := out.snapshot(); text != "one\n" || writes != 1 {
		t.Errorf("%q in %d writes", text, writes)
	}
}

// A full buffer is written at once, not at the next interval.
func TestFullBufferFlushesBeforeTheInterval(t *testing.T) {
	var out recorder
	w := New(&out)
	flushEvery(t, w, time.Hour)
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for range Size / len(line) {
		_, _ = w.Write(line)
	}
	out.waitFor(t, "a full buffer flushed before the interval", func(text string) bool { return len(text) == Size })
}

func TestIntervalFlushes(t *testing.T) {
	var out recorder
	w := New(&out)
	flushEvery(t, w, 10*time.Millisecond)
	_, _ = w.Write([]byte("soon\n"))
	out.waitFor(t, "flushed by the interval", func(text string) bool { return text == "soon\n" })
}

// What is buffered when FlushEvery's context ends is written, not lost.
func TestFlushEveryFlushesOnceMoreAtTheEnd(t *testing.T) {
	var out recorder
	w := New(&out)
	stop := flushEvery(t, w, time.Hour)
	_, _ = w.Write([]byte("last\n"))
	stop()
	if text, _ := out.snapshot(); text != "last\n" {
		t.Errorf("after the final flush: %q, want %q", text, "last\n")
	}
}

// An interval with nothing to write costs nothing: the app flushes every
// 100 ms, busy or idle.
func TestAnIdleFlushAllocatesNothing(t *testing.T) {
	w := New(&recorder{})
	if n := testing.AllocsPerRun(100, w.Flush); n != 0 {
		t.Errorf("an empty flush made %v allocations", n)
	}
}
