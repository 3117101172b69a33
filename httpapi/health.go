package httpapi

import (
	"context"
	"net/http"
	"time"
)

// healthTimeout bounds the health check's database ping: a load balancer
// must get its answer before its own timeout.
const healthTimeout = 2 * time.Second

// handleHealth answers 200 while the database answers, else 503, so that
// a load balancer takes a node that cannot serve the API out of rotation.
// The cause is logged, once per change (checks come every few seconds),
// and never shown to the unauthenticated caller.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
	err := s.store.Ping(ctx)
	cancel()
	if was := s.unhealthy.Swap(err != nil); was != (err != nil) {
		if err != nil {
			s.logger.Error("health check failing: the database does not answer", "err", err)
		} else {
			s.logger.Info("health check passing again: the database answers")
		}
	}
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Write(s.openapi)
	return nil
}
