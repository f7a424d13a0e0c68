//go:build wasip1

package main

import (
	"encoding/json"
	"unsafe"
)

// One request buffer, reused across calls: the host writes a request into it and calls
// policyc_call, so a request costs one call into the Go runtime (each entry is not free).
var requestBuffer []byte

// The last answer, kept reachable until the next call; the host copies it out before then.
var answer []byte

// policyc_buffer returns the address of a request buffer of at least size bytes.
//
//go:wasmexport policyc_buffer
func policycBuffer(size uint32) uint32 {
	if uint32(cap(requestBuffer)) < size+1 {
		requestBuffer = make([]byte, size+1+size/2)
	}
	return uint32(uintptr(unsafe.Pointer(&requestBuffer[0])))
}

// policyc_call handles the JSON request of n bytes in the request buffer and returns the
// answer's address and length packed as addr<<32 | len.
//
//go:wasmexport policyc_call
func policycCall(n uint32) uint64 {
	out, err := json.Marshal(handle(requestBuffer[:n]))
	if err != nil {
		out = []byte(`{"ok":false,"error":"encoding the answer failed"}`)
	}
	if len(out) == 0 {
		out = []byte("null")
	}
	answer = out
	return uint64(uintptr(unsafe.Pointer(&answer[0])))<<32 | uint64(len(answer))
}

func main() {}
