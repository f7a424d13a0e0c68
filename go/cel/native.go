//go:build !wasip1

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"

	"policyc/cel/protocol"
)

// The native build answers a file holding a JSON array of requests with a JSON array of answers.
func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: policyc-cel REQUESTS.json")
		os.Exit(2)
	}
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var reqs []json.RawMessage
	if err := json.Unmarshal(raw, &reqs); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	// POLICYC_CEL_CPUPROFILE=FILE: a CPU profile of answering the requests (go tool pprof FILE).
	if file := os.Getenv("POLICYC_CEL_CPUPROFILE"); file != "" {
		f, err := os.Create(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	out := make([]protocol.Response, len(reqs))
	for i, r := range reqs {
		out[i] = handle(r)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
