package httpapi

import "net/http"

// checkURL asks the configured guard whether a webhook URL may be used.
func (s *Server) checkURL(r *http.Request, url string) error {
	if s.checkWebhookURL == nil {
		return nil
	}
	return s.checkWebhookURL(r.Context(), url)
}
