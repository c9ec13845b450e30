//go:build floor_strconv

package main

import "strconv"

// floor_strconv makes the floor link strconv instead, what a message built
// without fmt needs (make wasm-size prints the floor's size with it).
//
//go:wasmexport floor_strconv
func withStrconv(n int32) int32 {
	return int32(len(strconv.Itoa(int(n)) + " x " + strconv.FormatFloat(float64(n), 'g', -1, 64)))
}
