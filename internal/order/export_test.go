package order

import "context"

// PlaceTogether prepares each checkout in turn as Place does, runs between,
// then places all of them in one batch, as concurrent requests arriving
// together would be; checkouts the batch hands back are placed alone.
// It also answers how many were handed back.
func (s *Service) PlaceTogether(ctxs []context.Context, ins []PlaceInput, between func()) ([][]Placed, []error, int) {
	outs, errs := make([][]Placed, len(ins)), make([]error, len(ins))
	jobs := make([]*placeJob, len(ins))
	var live []*placeJob
	for i := range ins {
		job, replay, err := s.prepare(ctxs[i], ins[i])
		if err != nil || job == nil {
			outs[i], errs[i] = replay, err
			continue
		}
		jobs[i] = job
		live = append(live, job)
	}
	between()
	s.placeBatch(live)
	alone := 0
	for i, j := range jobs {
		switch {
		case j == nil:
		case j.alone:
			alone++
			outs[i], errs[i] = s.placeAlone(j.ctx, j)
		default:
			outs[i], errs[i] = j.out, j.err
		}
	}
	return outs, errs, alone
}
