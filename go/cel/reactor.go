//go:build wasip1

package main

import (
	"encoding/json"
	"unsafe"
)

// Buffers handed to the host stay reachable here until it frees them.
var buffers = map[uint32][]byte{}

//go:wasmexport policyc_alloc
func policycAlloc(size uint32) uint32 {
	b := make([]byte, size+1)
	p := uint32(uintptr(unsafe.Pointer(&b[0])))
	buffers[p] = b
	return p
}

//go:wasmexport policyc_free
func policycFree(p uint32) {
	delete(buffers, p)
}

// policyc_call handles the JSON request at ptr/len and returns the answer's pointer and length
// packed as ptr<<32 | len; the host frees the answer with policyc_free.
//
//go:wasmexport policyc_call
func policycCall(p uint32, n uint32) uint64 {
	in := buffers[p][:n]
	out, err := json.Marshal(handle(in))
	if err != nil {
		out = []byte(`{"ok":false,"error":"encoding the answer failed"}`)
	}
	q := policycAlloc(uint32(len(out)))
	copy(buffers[q], out)
	return uint64(q)<<32 | uint64(len(out))
}

func main() {}
