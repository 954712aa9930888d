// strict: checks dyad's deploy/ files with the real parsers of the tools that read them, which
// tests/deploy/deploy_test.py (Python, stdlib + PyYAML) does not have:
//   - every Kubernetes object of deploy/k8s/kustomization.yaml decoded strictly into its
//     k8s.io/api type (unknown or misplaced fields, wrong types, bad quantities fail);
//   - every PromQL expression of deploy/grafana/dyad-dashboard.json parsed by Prometheus' parser;
//   - deploy/prometheus/prometheus.yml loaded by Prometheus' config loader;
//   - deploy/compose/compose.yaml loaded by compose-go (the compose-spec schema, anchors, merges,
//     interpolation: what `docker compose config` does);
//   - deploy/docker/Dockerfile parsed by BuildKit's frontend into stages and instructions, with
//     BuildKit's lint rules (`docker build --check`); a lint warning fails.
//
// Optional, not a ctest: building it fetches Go modules and takes ~10 minutes on 2 cores.
//
//	cd tests/deploy/strict && go run . ../../..
//
// Exit 0 when everything loads; one line per file or object.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/prometheus/common/promslog"
	"github.com/prometheus/prometheus/config"
	_ "github.com/prometheus/prometheus/discovery/dns"
	_ "github.com/prometheus/prometheus/discovery/kubernetes"
	promparser "github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

func main() {
	failed := false
	fail := func(format string, a ...any) { failed = true; fmt.Printf("FAIL "+format+"\n", a...) }
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: strict REPO_ROOT")
		os.Exit(2)
	}
	root := os.Args[1]
	path := func(p string) string { return filepath.Join(root, p) }
	// 1. Kubernetes: the files kustomization.yaml lists, one document per object.
	kustomization, err := os.ReadFile(path("deploy/k8s/kustomization.yaml"))
	if err != nil {
		panic(err)
	}
	var kust struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(kustomization, &kust); err != nil {
		panic(err)
	}
	var docs [][]byte
	for _, r := range kust.Resources {
		data, err := os.ReadFile(path("deploy/k8s/" + r))
		if err != nil {
			panic(err)
		}
		docs = append(docs, bytes.Split(data, []byte("\n---\n"))...)
	}
	for i, doc := range docs {
		var meta struct {
			Kind string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &meta); err != nil {
			fail("doc %d: %v", i, err)
			continue
		}
		var obj any
		switch meta.Kind {
		case "Namespace":
			obj = &corev1.Namespace{}
		case "ConfigMap":
			obj = &corev1.ConfigMap{}
		case "Service":
			obj = &corev1.Service{}
		case "Deployment":
			obj = &appsv1.Deployment{}
		case "StatefulSet":
			obj = &appsv1.StatefulSet{}
		case "HorizontalPodAutoscaler":
			obj = &autoscalingv2.HorizontalPodAutoscaler{}
		case "PodDisruptionBudget":
			obj = &policyv1.PodDisruptionBudget{}
		default:
			fail("doc %d: unexpected kind %q", i, meta.Kind)
			continue
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			fail("doc %d (%s): %v", i, meta.Kind, err)
			continue
		}
		fmt.Printf("ok   k8s %s %s decoded strictly\n", meta.Kind, obj.(interface{ GetName() string }).GetName())
	}
	// 2. PromQL of the dashboard.
	dash, err := os.ReadFile(path("deploy/grafana/dyad-dashboard.json"))
	if err != nil {
		panic(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		panic(err)
	}
	n := 0
	for _, p := range d.Panels {
		for _, t := range p.Targets {
			expr := strings.ReplaceAll(t.Expr, "$service", "dyad-.*")
			if _, err := promparser.NewParser(promparser.Options{}).ParseExpr(expr); err != nil {
				fail("panel %q: %q: %v", p.Title, expr, err)
			}
			n++
		}
	}
	fmt.Printf("ok   %d PromQL expressions parsed\n", n)
	// 3. Prometheus config.
	if _, err := config.LoadFile(path("deploy/prometheus/prometheus.yml"), false, promslog.NewNopLogger()); err != nil {
		fail("prometheus.yml: %v", err)
	} else {
		fmt.Println("ok   prometheus.yml loads")
	}
	// 4. Compose: the compose-spec schema, anchors and merges, interpolation, as docker compose
	// loads it.
	composePath, _ := filepath.Abs(path("deploy/compose/compose.yaml"))
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  filepath.Dir(composePath),
		ConfigFiles: []types.ConfigFile{{Filename: composePath}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) { o.SetProjectName("dyad", true); o.Profiles = []string{"*"} })
	if err != nil {
		fail("compose: %v", err)
	} else {
		for _, name := range project.ServiceNames() {
			s := project.Services[name]
			fmt.Printf("ok   compose service %s: image %s command %v\n", name, s.Image, []string(s.Command))
		}
	}
	// 5. The Dockerfile, parsed by BuildKit's frontend into stages and instructions (flags of
	// COPY --from, instruction arguments) with BuildKit's lint rules (`docker build --check`):
	// a lint warning fails.
	dockerfile, err := os.Open(path("deploy/docker/Dockerfile"))
	if err != nil {
		panic(err)
	}
	lint := linter.New(&linter.Config{Warn: func(rule, description, url, msg string, location []parser.Range) {
		line := 0
		if len(location) > 0 {
			line = location[0].Start.Line
		}
		fail("Dockerfile:%d: lint %s: %s", line, rule, msg)
	}})
	if ast, err := parser.Parse(dockerfile); err != nil {
		fail("Dockerfile: %v", err)
	} else if stages, _, err := instructions.Parse(ast.AST, lint); err != nil {
		fail("Dockerfile: %v", err)
	} else {
		for _, st := range stages {
			fmt.Printf("ok   Dockerfile stage %q FROM %s: %d instructions\n", st.Name, st.BaseName, len(st.Commands))
		}
	}
	if failed {
		os.Exit(1)
	}
}
