// boltdump — the reference dumper for crifs's own bbolt reader (src/formats/bbolt).
//
// It prints a bbolt file's whole key/value tree through the real go.etcd.io/bbolt library, in the
// same stable text format as dumpBolt() in src/formats/bbolt/dump.ts, so a test can compare the two:
//
//	page-size=4096 txid=42
//	"v1"/ seq=0
//	  "default"/ seq=0
//	    "labels"/ seq=0
//	      "big" = "xxxx…"
//	  "version" = 0x06
//
// Keys and values are quoted when every byte is printable ASCII other than `"` and `\`, hex (0x…)
// otherwise; a nested bucket is `<key>/ seq=<sequence>` with its entries indented by two spaces.
//
// With -stats it prints page counts instead (used by scripts/make-bolt-fixtures.sh to prove that
// the fixtures really hold branch and overflow pages):
//
//	pages=40 branch=1 leaf=30 overflow=1 free=3
//
// With -generate it writes a new file with a seeded random workload instead (generate.go).
//
// The file is copied to a temporary file first, so the fixture is never opened for writing and no
// lock is taken on it. Build (not committed as a binary):
//
//	GO111MODULE=off GOPATH=$tmp:/usr/share/gocode go build -o $tmp/boltdump ./test/tools/boltdump
package main

import (
	"bufio"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

func quote(b []byte) string {
	for _, c := range b {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "0x" + hex.EncodeToString(b)
		}
	}
	return "\"" + string(b) + "\""
}

func dumpCursor(w *bufio.Writer, c *bolt.Cursor, sub func([]byte) *bolt.Bucket, depth int) error {
	indent := strings.Repeat("  ", depth)
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v != nil {
			fmt.Fprintf(w, "%s%s = %s\n", indent, quote(k), quote(v))
			continue
		}
		b := sub(k)
		if b == nil {
			return fmt.Errorf("key %s has no value and is not a bucket", quote(k))
		}
		fmt.Fprintf(w, "%s%s/ seq=%d\n", indent, quote(k), b.Sequence())
		if err := dumpCursor(w, b.Cursor(), b.Bucket, depth+1); err != nil {
			return err
		}
	}
	return nil
}

func copyToTemp(path string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "boltdump-")
	if err != nil {
		return "", nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	in, err := os.Open(path)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	defer in.Close()
	dst := filepath.Join(dir, "db")
	out, err := os.Create(dst)
	if err != nil {
		cleanup()
		return "", nil, err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		cleanup()
		return "", nil, err
	}
	if err := out.Close(); err != nil {
		cleanup()
		return "", nil, err
	}
	return dst, cleanup, nil
}

func run(path string, stats bool, w *bufio.Writer) error {
	tmp, cleanup, err := copyToTemp(path)
	if err != nil {
		return err
	}
	defer cleanup()
	// The dump opens read-only, like a reader should. -stats needs the freelist (tx.Page), which bbolt
	// loads only read-write; NoFreelistSync keeps that open from committing a freelist into the copy.
	opts := &bolt.Options{Timeout: time.Second, ReadOnly: !stats, NoFreelistSync: stats}
	db, err := bolt.Open(tmp, 0o600, opts)
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if stats {
			var pages, branch, leaf, overflow, free int
			for id := 0; ; {
				info, err := tx.Page(id)
				if err != nil {
					return err
				}
				if info == nil {
					break
				}
				pages++
				step := 1
				switch info.Type {
				case "branch":
					branch++
				case "leaf":
					leaf++
				case "free":
					free++
				}
				if info.Type == "branch" || info.Type == "leaf" || info.Type == "freelist" {
					if info.OverflowCount > 0 {
						overflow++
					}
					step += info.OverflowCount
				}
				id += step
			}
			fmt.Fprintf(w, "pages=%d branch=%d leaf=%d overflow=%d free=%d\n", pages, branch, leaf, overflow, free)
			return nil
		}
		fmt.Fprintf(w, "page-size=%d txid=%d\n", db.Info().PageSize, tx.ID())
		return dumpCursor(w, tx.Cursor(), tx.Bucket, 0)
	})
}

func main() {
	stats := flag.Bool("stats", false, "print page counts instead of the tree")
	gen := flag.Bool("generate", false, "write a new file with a random workload (see generate.go)")
	seed := flag.Int64("seed", 1, "-generate: seed of the workload")
	pageSize := flag.Int("page-size", 0, "-generate: page size (0: the OS page size)")
	noFreelistSync := flag.Bool("no-freelist-sync", false, "-generate: do not persist the freelist")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: boltdump [-stats] FILE | boltdump -generate [-seed N] [-page-size P] [-no-freelist-sync] FILE")
		os.Exit(2)
	}
	if *gen {
		if err := generate(flag.Arg(0), *seed, *pageSize, *noFreelistSync); err != nil {
			fmt.Fprintf(os.Stderr, "boltdump: %s: %v\n", flag.Arg(0), err)
			os.Exit(1)
		}
		return
	}
	w := bufio.NewWriter(os.Stdout)
	if err := run(flag.Arg(0), *stats, w); err != nil {
		w.Flush()
		fmt.Fprintf(os.Stderr, "boltdump: %s: %v\n", flag.Arg(0), err)
		os.Exit(1)
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "boltdump: %v\n", err)
		os.Exit(1)
	}
}
