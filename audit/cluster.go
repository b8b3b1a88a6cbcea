package audit

import (
	"encoding/json"
	"fmt"
)

// A live cluster's audit: each Pod is predicted for the node it runs on,
// each template (and each Pod not yet scheduled) for every kind of node
// its nodeSelector lets it onto. Nodes whose facts are equal share an
// Auditor, so a thousand-node pool of one kind costs one.

// ClusterNode is a node of a live cluster and the facts the audit takes
// for it.
type ClusterNode struct {
	Name string
	Node Node
	// Notes say how each fact was learned, or why it is assumed.
	Notes []string
}

// ClusterObject is a workload object read from a live cluster.
type ClusterObject struct {
	// Source names it in reports, as its file would (Workload.File).
	Source string
	// Nodes are the nodes it runs on (a bound Pod's) or may run on (a
	// template's): the caller's placement, by node name.
	Nodes []string
	JSON  []byte
}

// ClusterInfo is the nodes of a cluster audit, in Report.Cluster.
type ClusterInfo struct {
	Nodes []ClusterNodeInfo `json:"nodes"`
}

// ClusterNodeInfo is one node's facts, as NodeInfo is a file audit's,
// and how they were learned.
type ClusterNodeInfo struct {
	Name  string   `json:"name"`
	Facts NodeInfo `json:"facts"`
	Notes []string `json:"notes,omitempty"`
}

// Cluster audits a live cluster's objects against its nodes.
type Cluster struct {
	kinds  []*nodeKind
	byName map[string]*nodeKind
	nodes  []ClusterNode
}

// nodeKind is the nodes that share every fact, and their Auditor.
type nodeKind struct {
	a     *Auditor
	nodes []ClusterNode
}

// NewCluster makes a Cluster auditor for nodes (at least one).
func NewCluster(nodes []ClusterNode) (*Cluster, error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("the cluster lists no node: nothing to predict for")
	}
	c := &Cluster{byName: map[string]*nodeKind{}, nodes: nodes}
	byFacts := map[string]*nodeKind{}
	for _, n := range nodes {
		// Node's zero values mean "this machine's" and "containerd" to a
		// file audit; a live node's facts are its own, never a default.
		if n.Node.Runtime == "" || n.Node.Arch == "" {
			return nil, fmt.Errorf("node %s: reports no container runtime or architecture (status.nodeInfo): nothing to predict it with", n.Name)
		}
		key, err := json.Marshal(n.Node)
		if err != nil {
			return nil, err
		}
		k := byFacts[string(key)]
		if k == nil {
			a, err := New(n.Node)
			if err != nil {
				return nil, fmt.Errorf("node %s: %w", n.Name, err)
			}
			k = &nodeKind{a: a}
			byFacts[string(key)] = k
			c.kinds = append(c.kinds, k)
		}
		k.nodes = append(k.nodes, n)
		c.byName[n.Name] = k
	}
	return c, nil
}

// Accept and CountNamespaces are the Auditor's, for every node.
func (c *Cluster) Accept(acc Acceptance) {
	for _, k := range c.kinds {
		k.a.Accept(acc)
	}
}

func (c *Cluster) CountNamespaces() {
	for _, k := range c.kinds {
		k.a.CountNamespaces()
	}
}

// Report is an empty report: a Writer's Begin. Its Node is the first
// kind of node's facts; Cluster holds every node's.
func (c *Cluster) Report() *Report {
	r := c.kinds[0].a.newReport()
	r.Cluster = &ClusterInfo{}
	facts := map[*nodeKind]NodeInfo{} // once per kind: a pool shares them
	for _, n := range c.nodes {
		k := c.byName[n.Name]
		f, ok := facts[k]
		if !ok {
			f = k.a.newReport().Node
			facts[k] = f
		}
		r.Cluster.Nodes = append(r.Cluster.Nodes, ClusterNodeInfo{Name: n.Name, Facts: f, Notes: n.Notes})
	}
	r.Summary.Nodes = map[string]*Counts{}
	return r
}

// Stream audits objs in order, as Auditor.Stream does files: each
// workload goes to emit, and names the nodes it was predicted for. An
// object no node can run becomes an error, never a silent omission.
func (c *Cluster) Stream(objs []ClusterObject, emit func(*Workload) error) (*Report, error) {
	r := c.Report()
	for _, o := range objs {
		if len(o.Nodes) == 0 {
			r.Errors = append(r.Errors, DocError{File: o.Source, Message: o.Source + ": no node can run it (its nodeSelector, the nodes' taints, cordons): predicted for none"})
			continue
		}
		// The nodes in the order of their kinds, a kind's together.
		var kinds []*nodeKind
		names := map[*nodeKind][]string{}
		for _, n := range o.Nodes {
			k := c.byName[n]
			if k == nil {
				r.Errors = append(r.Errors, DocError{File: o.Source, Message: fmt.Sprintf("%s: on node %s, which the cluster does not list", o.Source, n)})
				continue
			}
			if names[k] == nil {
				kinds = append(kinds, k)
			}
			names[k] = append(names[k], n)
		}
		for _, k := range kinds {
			if err := k.audit(r, o, names[k], emit); err != nil {
				return r, err
			}
		}
	}
	// Files counts the audits of objects, which is no count of files.
	r.Summary.Files = 0
	c.kinds[0].a.finish(r)
	return r, nil
}

// audit predicts o for the named nodes of one kind.
func (k *nodeKind) audit(r *Report, o ClusterObject, names []string, emit func(*Workload) error) error {
	k.a.onNodes = names
	defer func() { k.a.onNodes = nil }()
	return k.a.stream(r, []source{dataSource(o.Source, o.JSON)}, 0, emit)
}
