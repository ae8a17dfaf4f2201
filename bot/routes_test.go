package bot

import "net/http"

// testMux mounts s's handlers on the routes `shopwatch serve` gives them
// (cmd/shopwatch/serve.go).
func testMux(s *Server) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("POST /slack/commands", s.CommandHandler())
	mux.Handle("POST /slack/interactions", s.InteractionHandler())
	mux.Handle("POST /slack/events", s.EventHandler())
	mux.Handle("GET /healthz", s.HealthHandler())
	return mux
}
