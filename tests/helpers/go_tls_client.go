// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)

// A Go HTTPS client (crypto/tls, net/http; HTTP/2 when the server offers
// it), for the kernel tests: Go links its TLS into the program.
//
// Usage: go_tls_client URL COUNT. Reads a bearer token from stdin (the wait
// lets a test attach its probes first), sends COUNT GET requests on one
// connection, prints each response's protocol, exits 0 when all arrived.
// With IDT_BIG_AUTH=N in the environment, the second request's token has N
// more bytes (a header block Go writes in one call larger than a capture).
package main

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go_tls_client URL COUNT")
		os.Exit(2)
	}
	count, err := strconv.Atoi(os.Args[2])
	if err != nil {
		os.Exit(2)
	}
	token, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil {
		os.Exit(2)
	}
	token = strings.TrimSpace(token)
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	big, _ := strconv.Atoi(os.Getenv("IDT_BIG_AUTH"))
	for i := 0; i < count; i++ {
		req, _ := http.NewRequest("GET", os.Args[1], nil)
		if i == 1 && big > 0 {
			req.Header.Set("Authorization", "Bearer "+token+strings.Repeat("A", big))
		} else {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		req.Header.Set("User-Agent", "go-client/1")
		resp, err := client.Do(req)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println(resp.Proto)
	}
}
