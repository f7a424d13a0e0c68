// Command policyc-opa is policyc's bridge to OPA's own Go packages.
//
//	policyc-opa compile REQUEST.json OUTDIR
//	    Compiles each unit of the request to a Wasm module with OPA's
//	    compiler (the same code as `opa build -t wasm`), one unit per
//	    Gatekeeper template or policyc policy. Writes OUTDIR/<i>.wasm and
//	    OUTDIR/result.json. Built for GOOS=wasip1 this runs inside Node.
//	policyc-opa eval REQUEST.json
//	    Evaluates queries with OPA's interpreter (rego.New(...).Eval, builtin
//	    errors non-strict as in Gatekeeper) and prints the results as JSON. Used by policyc's tests as the oracle
//	    the Wasm path is compared with.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/bundle"
	"github.com/open-policy-agent/opa/v1/compile"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/storage/inmem"
	"github.com/open-policy-agent/opa/v1/version"
)

type module struct {
	Path   string `json:"path"`
	Source string `json:"source"`
}

type unit struct {
	Modules     []module `json:"modules"`
	Entrypoints []string `json:"entrypoints"`
	RegoVersion int      `json:"regoVersion"`
	Strict      bool     `json:"strict"`
}

type compileRequest struct {
	Units []unit `json:"units"`
}

type problem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	File    string `json:"file,omitempty"`
	Row     int    `json:"row,omitempty"`
	Col     int    `json:"col,omitempty"`
}

type unitResult struct {
	OK       bool      `json:"ok"`
	Wasm     string    `json:"wasm,omitempty"`
	Problems []problem `json:"problems,omitempty"`
}

type compileResult struct {
	OPAVersion string       `json:"opaVersion"`
	Units      []unitResult `json:"units"`
}

func regoVersion(v int) ast.RegoVersion {
	if v == 0 {
		return ast.RegoV0
	}
	return ast.RegoV1
}

func problemsOf(err error) []problem {
	var errs ast.Errors
	if errors.As(err, &errs) {
		out := make([]problem, 0, len(errs))
		for _, e := range errs {
			p := problem{Code: e.Code, Message: e.Message}
			if e.Location != nil {
				p.File, p.Row, p.Col = e.Location.File, e.Location.Row, e.Location.Col
			}
			out = append(out, p)
		}
		return out
	}
	var one *ast.Error
	if errors.As(err, &one) {
		return problemsOf(ast.Errors{one})
	}
	return []problem{{Code: "compile_error", Message: err.Error()}}
}

func parseModules(u unit) (map[string]*ast.Module, []bundle.ModuleFile, error) {
	parsed := map[string]*ast.Module{}
	files := make([]bundle.ModuleFile, 0, len(u.Modules))
	opts := ast.ParserOptions{RegoVersion: regoVersion(u.RegoVersion), ProcessAnnotation: true}
	var all ast.Errors
	for _, m := range u.Modules {
		mod, err := ast.ParseModuleWithOpts(m.Path, m.Source, opts)
		if err != nil {
			var errs ast.Errors
			if errors.As(err, &errs) {
				all = append(all, errs...)
				continue
			}
			return nil, nil, err
		}
		parsed[m.Path] = mod
		files = append(files, bundle.ModuleFile{URL: m.Path, Path: m.Path, Raw: []byte(m.Source), Parsed: mod})
	}
	if len(all) > 0 {
		return nil, nil, all
	}
	return parsed, files, nil
}

func compileUnit(ctx context.Context, u unit) ([]byte, error) {
	parsed, files, err := parseModules(u)
	if err != nil {
		return nil, err
	}
	// OPA's build path compiles without strict checks; policyc checks its own
	// generated Rego in strict mode first, as `opa check --strict` would.
	if u.Strict {
		c := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(regoVersion(u.RegoVersion))
		if c.Compile(parsed); c.Failed() {
			return nil, c.Errors
		}
	}
	b := &bundle.Bundle{Modules: files, Data: map[string]interface{}{}}
	b.SetRegoVersion(regoVersion(u.RegoVersion))
	b.Manifest.Init()
	c := compile.New().
		WithTarget(compile.TargetWasm).
		WithRegoVersion(regoVersion(u.RegoVersion)).
		WithEntrypoints(u.Entrypoints...).
		WithBundle(b)
	if err := c.Build(ctx); err != nil {
		return nil, err
	}
	out := c.Bundle()
	if len(out.WasmModules) != 1 {
		return nil, fmt.Errorf("expected one wasm module, got %d", len(out.WasmModules))
	}
	return out.WasmModules[0].Raw, nil
}

func runCompile(reqPath, outDir string) error {
	raw, err := os.ReadFile(reqPath)
	if err != nil {
		return err
	}
	var req compileRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	res := compileResult{OPAVersion: version.Version, Units: make([]unitResult, len(req.Units))}
	ctx := context.Background()
	for i, u := range req.Units {
		wasm, err := compileUnit(ctx, u)
		if err != nil {
			res.Units[i] = unitResult{Problems: problemsOf(err)}
			continue
		}
		name := strconv.Itoa(i) + ".wasm"
		if err := os.WriteFile(filepath.Join(outDir, name), wasm, 0o644); err != nil {
			return err
		}
		res.Units[i] = unitResult{OK: true, Wasm: name}
	}
	enc, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(outDir, "result.json"), enc, 0o644)
}

type evaluation struct {
	Query string          `json:"query"`
	Input json.RawMessage `json:"input,omitempty"`
}

type evalRequest struct {
	Modules     []module               `json:"modules"`
	Data        map[string]interface{} `json:"data"`
	RegoVersion int                    `json:"regoVersion"`
	Evaluations []evaluation           `json:"evaluations"`
}

type evalResult struct {
	// Values holds the query's first expression value in each result set;
	// empty when the query is undefined.
	Values []interface{} `json:"values"`
	Error  string        `json:"error,omitempty"`
}

func runEval(reqPath string) error {
	raw, err := os.ReadFile(reqPath)
	if err != nil {
		return err
	}
	var req evalRequest
	if err := json.Unmarshal(raw, &req); err != nil {
		return fmt.Errorf("request: %w", err)
	}
	if req.Data == nil {
		req.Data = map[string]interface{}{}
	}
	ctx := context.Background()
	results := make([]evalResult, len(req.Evaluations))
	for i, ev := range req.Evaluations {
		opts := []func(*rego.Rego){
			rego.Query(ev.Query),
			rego.SetRegoVersion(regoVersion(req.RegoVersion)),
			rego.Store(inmem.NewFromObject(req.Data)),
		}
		for _, m := range req.Modules {
			opts = append(opts, rego.Module(m.Path, m.Source))
		}
		if len(ev.Input) > 0 {
			var input interface{}
			dec := json.NewDecoder(bytes.NewReader(ev.Input))
			dec.UseNumber()
			if err := dec.Decode(&input); err != nil {
				return fmt.Errorf("evaluation %d input: %w", i, err)
			}
			opts = append(opts, rego.Input(input))
		}
		rs, err := rego.New(opts...).Eval(ctx)
		if err != nil {
			results[i] = evalResult{Values: []interface{}{}, Error: err.Error()}
			continue
		}
		values := make([]interface{}, 0, len(rs))
		for _, r := range rs {
			if len(r.Expressions) > 0 {
				values = append(values, r.Expressions[0].Value)
			}
		}
		results[i] = evalResult{Values: values}
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(map[string]interface{}{"opaVersion": version.Version, "results": results})
}

func main() {
	var err error
	switch {
	case len(os.Args) == 4 && os.Args[1] == "compile":
		err = runCompile(os.Args[2], os.Args[3])
	case len(os.Args) == 3 && os.Args[1] == "eval":
		err = runEval(os.Args[2])
	case len(os.Args) == 2 && os.Args[1] == "version":
		fmt.Println(version.Version)
	default:
		fmt.Fprintln(os.Stderr, "usage: policyc-opa compile REQUEST.json OUTDIR | eval REQUEST.json | version")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "policyc-opa:", err)
		os.Exit(1)
	}
}
