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

// Lines written concurrently all arrive whole, in few writes.
func TestLinesArriveWholeInFewWrites(t *testing.T) {
	var out recorder
	w := New(&out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.FlushEvery(ctx, time.Hour)
		close(done)
	}()
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
	cancel()
	<-done
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
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.FlushEvery(ctx, time.Hour)
	line := []byte(strings.Repeat("x", 1023) + "\n")
	for range Size / len(line) {
		_, _ = w.Write(line)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if text, _ := out.snapshot(); len(text) == Size {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a full buffer was not flushed before the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestIntervalFlushes(t *testing.T) {
	var out recorder
	w := New(&out)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go w.FlushEvery(ctx, 10*time.Millisecond)
	_, _ = w.Write([]byte("soon\n"))
	deadline := time.Now().Add(5 * time.Second)
	for {
		if text, _ := out.snapshot(); text == "soon\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("not flushed by the interval")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// What is buffered when FlushEvery's context ends is written, not lost.
func TestFlushEveryFlushesOnceMoreAtTheEnd(t *testing.T) {
	var out recorder
	w := New(&out)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		w.FlushEvery(ctx, time.Hour)
		close(done)
	}()
	_, _ = w.Write([]byte("last\n"))
	cancel()
	<-done
	if text, _ := out.snapshot(); text != "last\n" {
		t.Errorf("after the final flush: %q, want %q", text, "last\n")
	}
}
