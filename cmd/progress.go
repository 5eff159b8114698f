package cmd

import (
	"time"

	"github.com/schollz/progressbar/v3"
)

// progressMin is the input size from which a progress bar is shown.
const progressMin = 64 << 20

// startProgress attaches a progress bar to in when it is worth it: stderr
// is a terminal, the file size is known and above progressMin, and neither
// --json nor --quiet was given. The bar is fed the bytes read from the file
// by in's counting reader and goes to stderr only. The returned function
// finishes and clears it.
func (a *App) startProgress(in *input, desc string) (done func()) {
	if a.JSON || a.Quiet || in.FileSize <= progressMin || !isTerminal(a.IO.ErrOut) {
		return func() {}
	}
	bar := a.newBar(in.FileSize, desc)
	in.SetProgress(func(n int64) { _ = bar.Set64(n) })
	return func() {
		in.SetProgress(nil)
		_ = bar.Finish()
	}
}

// startSetProgress is startProgress for work over several files of total
// bytes (an AOF set): it returns the function to feed with the bytes read so
// far, or nil when no bar is shown, and the function that clears it.
func (a *App) startSetProgress(total int64, desc string) (update func(int64), done func()) {
	if a.JSON || a.Quiet || total <= progressMin || !isTerminal(a.IO.ErrOut) {
		return nil, func() {}
	}
	bar := a.newBar(total, desc)
	return func(n int64) { _ = bar.Set64(n) }, func() { _ = bar.Finish() }
}

// newBar is the one progress bar style: bytes, rate, ETA, on stderr.
func (a *App) newBar(total int64, desc string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(a.IO.ErrOut),
		progressbar.OptionSetDescription(desc),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionEnableColorCodes(a.color()),
	)
}
