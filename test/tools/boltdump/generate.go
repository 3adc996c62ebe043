package main

// generate.go — `boltdump -generate -seed N [-page-size P] [-no-freelist-sync] OUT` writes a new bbolt
// file through the real library with a seeded random workload: many transactions of puts, overwrites,
// deletes (so bbolt rebalances, merges and frees pages), nested and inline buckets, bucket deletes,
// NextSequence, binary keys, empty and large values (overflow pages). The reader test compares our
// dump of such files with boltdump's.

import (
	"math/rand"

	bolt "go.etcd.io/bbolt"
)

func randomKey(r *rand.Rand) []byte {
	n := 1 + r.Intn(24)
	k := make([]byte, n)
	binary := r.Intn(4) == 0
	for i := range k {
		if binary {
			k[i] = byte(r.Intn(256))
		} else {
			k[i] = "abcdefgh"[r.Intn(8)] // few letters: overwrites and shared prefixes
		}
	}
	return k
}

func randomValue(r *rand.Rand) []byte {
	n := r.Intn(64)
	switch r.Intn(40) {
	case 0:
		n = 0
	case 1:
		n = 1000 + r.Intn(20000) // spans overflow pages
	case 2:
		n = 200 + r.Intn(2000)
	}
	v := make([]byte, n)
	r.Read(v)
	return v
}

// pick walks from the root to a random bucket, creating buckets on the way when there are none.
func pick(tx *bolt.Tx, r *rand.Rand) (*bolt.Bucket, error) {
	b, err := tx.CreateBucketIfNotExists([]byte{"abc"[r.Intn(3)]})
	if err != nil {
		return nil, err
	}
	for depth := r.Intn(4); depth > 0; depth-- {
		var names [][]byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if v == nil {
				names = append(names, append([]byte(nil), k...))
			}
		}
		if len(names) == 0 {
			return b, nil
		}
		b = b.Bucket(names[r.Intn(len(names))])
	}
	return b, nil
}

func generate(path string, seed int64, pageSize int, noFreelistSync bool) error {
	r := rand.New(rand.NewSource(seed))
	db, err := bolt.Open(path, 0o600, &bolt.Options{PageSize: pageSize, NoFreelistSync: noFreelistSync})
	if err != nil {
		return err
	}
	defer db.Close()
	txs := 5 + r.Intn(25)
	for t := 0; t < txs; t++ {
		err := db.Update(func(tx *bolt.Tx) error {
			ops := 1 + r.Intn(400)
			for i := 0; i < ops; i++ {
				b, err := pick(tx, r)
				if err != nil {
					return err
				}
				switch op := r.Intn(20); {
				case op < 10:
					k := randomKey(r)
					if b.Bucket(k) == nil {
						if err := b.Put(k, randomValue(r)); err != nil {
							return err
						}
					}
				case op < 15: // delete the key at or after a random one
					c := b.Cursor()
					k, v := c.Seek(randomKey(r))
					if k != nil && v != nil {
						if err := c.Delete(); err != nil {
							return err
						}
					}
				case op < 17:
					if _, err := b.CreateBucketIfNotExists(randomKey(r)); err != nil && err != bolt.ErrIncompatibleValue {
						return err
					}
				case op < 18: // delete a nested bucket at or after a random key
					c := b.Cursor()
					for k, v := c.Seek(randomKey(r)); k != nil; k, v = c.Next() {
						if v == nil {
							if err := b.DeleteBucket(k); err != nil {
								return err
							}
							break
						}
					}
				default:
					if _, err := b.NextSequence(); err != nil {
						return err
					}
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
