package client_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/switchboard-voice/switchboard/client"
)

func ExampleClient_ListEvents() {
	c := client.New("", "")
	ctx := context.Background()
	since := time.Now().Add(-24 * time.Hour)
	for ev, err := range c.ListEvents(ctx, client.ListEventsParams{Types: []string{"call.*"}, Since: since}) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(ev.Timestamp, ev.Type, ev.ID)
	}
}

func ExampleClient_StreamEvents() {
	c := client.New("", "")
	// Until ctx ends; the stream reconnects and resumes by itself.
	ctx, stop := context.WithTimeout(context.Background(), time.Hour)
	defer stop()
	stream := c.StreamEvents(ctx, client.StreamEventsParams{
		Types:       []string{"call.completed", "endpoint.*"},
		OnReconnect: func(err error) { log.Printf("stream interrupted (%v); resuming", err) },
	})
	for ev, err := range stream {
		if err != nil {
			log.Fatal(err) // a bad key or filter: reconnecting cannot mend it
		}
		fmt.Println(ev.Type, ev.ID, string(ev.Data))
	}
}
