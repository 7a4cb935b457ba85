// Command source is the console source of scripts/load: it writes numbered lines
// ("seq=N xxxx...") to stdout at a fixed pace, one line per write(2), from an absolute schedule
// (a late tick writes its lines at once, so the pace does not depend on how busy the machine
// is), and echoes each line of stdin back to stdout, also one line per write, for the echo
// probes of the load client. Every server under test runs this same program.
//
//	source -rate 500 -bytes 80
package main

import (
	"bufio"
	"flag"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	rate := flag.Int("rate", 10, "lines per second")
	size := flag.Int("bytes", 80, "bytes per line, newline included")
	flag.Parse()
	if *rate < 1 || *size < 16 {
		os.Stderr.WriteString("source: -rate must be at least 1 and -bytes at least 16\n")
		os.Exit(2)
	}
	var mu sync.Mutex
	write := func(b []byte) {
		mu.Lock()
		_, err := os.Stdout.Write(b)
		mu.Unlock()
		if err != nil {
			os.Exit(0)
		}
	}
	go func() {
		in := bufio.NewReader(os.Stdin)
		for {
			line, err := in.ReadBytes('\n')
			if len(line) > 0 {
				write(line)
			}
			if err != nil {
				return
			}
		}
	}()
	period := time.Second / time.Duration(*rate)
	start := time.Now()
	line := make([]byte, 0, *size+24)
	for seq := int64(1); ; seq++ {
		if wait := time.Until(start.Add(time.Duration(seq) * period)); wait > 0 {
			time.Sleep(wait)
		}
		line = append(line[:0], "seq="...)
		line = strconv.AppendInt(line, seq, 10)
		line = append(line, ' ')
		for len(line) < *size-1 {
			line = append(line, 'x')
		}
		line = append(line, '\n')
		write(line)
	}
}
