package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/rampart-sec/rampart/audit"
)

// auditing is a file audit or a live cluster's, behind one face.
type auditing struct {
	auditor interface {
		Accept(audit.Acceptance)
		CountNamespaces()
		Report() *audit.Report
	}
	stream func(emit func(*audit.Workload) error) (*audit.Report, error)
	where  []string // what the audit read, for the gate's message
}

func (a *auditing) Accept(acc audit.Acceptance) { a.auditor.Accept(acc) }
func (a *auditing) CountNamespaces()            { a.auditor.CountNamespaces() }
func (a *auditing) Report() *audit.Report       { return a.auditor.Report() }

func newAuditing(ctx context.Context, fl *pflag.FlagSet, live *clusterFlags, node audit.Node, args []string, maxDoc int) (*auditing, error) {
	if !live.on {
		a, err := audit.New(node)
		if err != nil {
			return nil, err
		}
		return &auditing{auditor: a, where: args, stream: func(emit func(*audit.Workload) error) (*audit.Report, error) {
			return a.Stream(args, maxDoc, emit)
		}}, nil
	}
	c, objs, err := live.read(ctx, fl, node)
	if err != nil {
		return nil, err
	}
	return &auditing{auditor: c, where: []string{"the cluster's objects"}, stream: func(emit func(*audit.Workload) error) (*audit.Report, error) {
		return c.Stream(objs, emit)
	}}, nil
}
