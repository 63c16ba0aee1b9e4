// Package testfiles makes go test's result cache see the files a test hands
// to a child process (a bash script it runs, a tree it copies with cp). go
// test records only the files the test process itself opens and reuses a
// cached pass while those are unchanged, so an edited script would otherwise
// keep an old "(cached)" pass, on a laptop and in CI alike (setup-go caches
// the build cache, test results included).
package testfiles

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Track reads every file under each path (a file or a directory tree), so
// that the calling test's cached result depends on their contents.
func Track(t testing.TB, paths ...string) {
	t.Helper()
	for _, root := range paths {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			_, err = os.ReadFile(path)
			return err
		})
		if err != nil {
			t.Fatalf("tracking %s for the test cache: %v", root, err)
		}
	}
}
