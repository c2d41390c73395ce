// Oracle for the go comparator: golang.org/x/mod/semver over a file of hex-encoded pairs.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	defer f.Close()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		p := strings.Split(s.Text(), " ")
		a, _ := hex.DecodeString(p[0])
		b, _ := hex.DecodeString(p[1])
		va, vb := 0, 0
		if semver.IsValid(string(a)) {
			va = 1
		}
		if semver.IsValid(string(b)) {
			vb = 1
		}
		fmt.Fprintf(w, "%d %d %d\n", semver.Compare(string(a), string(b)), va, vb)
	}
}
