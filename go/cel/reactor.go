//go:build wasip1

package main

import (
	"encoding/json"
	"runtime"
	"unsafe"
)

// heapReserve is how far the Go heap is grown at start, in one step. WebAssembly memory grows
// with the Go heap and never shrinks; each growth makes V8 collect the host's JavaScript heap in
// full, so a run that reads large inputs (tens of MB of objects held by the host) paid a full
// collection every few compiles (measured: 44 policies compiled in 3.4 s beside a 60 MB host heap,
// 1.3 s beside an empty one; 25 of the 44 grew the memory). The reserve is freed at once and its
// pages serve the heap's later growth; they are not written, so they cost no resident memory
// until used.
const heapReserve = 192 << 20

func init() {
	reserve := make([]byte, heapReserve)
	runtime.KeepAlive(reserve)
	reserve = nil
	runtime.GC()
}

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
