// boltput — sets one key in a bbolt file through the real go.etcd.io/bbolt library, for tests that inject a
// fault into a real containerd store (test/integration/corrupt.suite.ts: a snapshot made its own parent, or
// a parent cycle, by rewriting v1/<ns>/snapshots/<snapshotter>/<name>/parent in meta.db).
//
//	boltput DB BUCKET... KEY VALUE
//
// The file must not be open in a daemon (containerd holds an flock on it; boltput gives up after 2 s).
// Build (not committed as a binary):
//
//	GO111MODULE=off GOPATH=$tmp:/usr/share/gocode go build -o $tmp/boltput ./test/tools/boltput
package main

import (
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

func main() {
	if len(os.Args) < 5 {
		fmt.Fprintln(os.Stderr, "usage: boltput DB BUCKET... KEY VALUE")
		os.Exit(2)
	}
	db, err := bolt.Open(os.Args[1], 0600, &bolt.Options{Timeout: 2 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err) // "timeout": a daemon still holds the file
		os.Exit(1)
	}
	defer db.Close()
	n := len(os.Args)
	path, key, value := os.Args[2:n-2], os.Args[n-2], os.Args[n-1]
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(path[0]))
		for _, p := range path[1:] {
			if b == nil {
				break
			}
			b = b.Bucket([]byte(p))
		}
		if b == nil {
			return fmt.Errorf("bucket path %q not found", path)
		}
		return b.Put([]byte(key), []byte(value))
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
