package client_test

// The event log's operations (h-events).
func init() {
	methodOf["listEvents"] = "ListEvents"
	methodOf["getEvent"] = "GetEvent"
	methodOf["streamEvents"] = "StreamEvents"
}
