package storecache

import "sync"

// body is the encoded form of a cached entry, made once, on the first read
// that asks for it, and shared by the later ones until the entry goes.
// Encoding a page of endpoints costs several times the rest of a cached
// read, which is why the bytes are kept with the entry they encode.
type body struct {
	once sync.Once
	b    []byte
	err  error
}

// get returns the bytes encode makes, calling it at most once per body.
// A nil body (an entry that did not go into the cache) encodes each time.
func (b *body) get(encode func() ([]byte, error)) ([]byte, error) {
	if b == nil {
		return encode()
	}
	b.once.Do(func() { b.b, b.err = encode() })
	return b.b, b.err
}
