package apparmor

// Intersects reports whether some path matches both globs. It walks the
// product of the two programs: a pair of positions steps on a byte both
// accept, and the globs share a path when both reach their match
// together. The product has at most len(g.prog)*len(h.prog) pairs.
func (g *Glob) Intersects(h *Glob) bool {
	gs, hs := newSparse(len(g.prog)), newSparse(len(h.prog))
	stack := make([]int, 0, 16)
	seen := map[[2]int]bool{}
	var queue [][2]int
	push := func(a, b int) {
		gs.clear()
		hs.clear()
		g.addClosure(gs, a, &stack)
		h.addClosure(hs, b, &stack)
		for _, x := range gs.dense {
			if op := g.prog[x].op; op != gByte && op != gMatch {
				continue
			}
			for _, y := range hs.dense {
				if op := h.prog[y].op; op != gByte && op != gMatch {
					continue
				}
				if k := [2]int{x, y}; !seen[k] {
					seen[k] = true
					queue = append(queue, k)
				}
			}
		}
	}
	push(g.start, h.start)
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		a, b := &g.prog[k[0]], &h.prog[k[1]]
		switch {
		case a.op == gMatch && b.op == gMatch:
			return true
		case a.op == gByte && b.op == gByte && a.set.meets(b.set):
			push(a.out, b.out)
		}
	}
	return false
}

// meets reports whether two byte sets share a byte.
func (s *byteSet) meets(t *byteSet) bool {
	for i := range s {
		if s[i]&t[i] != 0 {
			return true
		}
	}
	return false
}
