package cmd

import (
	"io"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/lipgloss/table"
	"github.com/muesli/termenv"
)

// styles holds every lipgloss style rdbkit uses, bound to one writer's
// renderer. Only modeStyled output uses them; colours are dropped with
// --no-color or NO_COLOR.
type styles struct {
	r       *lipgloss.Renderer
	Title   lipgloss.Style // file name heading
	Label   lipgloss.Style // "key:" labels
	Value   lipgloss.Style
	Dim     lipgloss.Style // secondary text: offsets in hex, units
	OK      lipgloss.Style // intact, verified, loads
	Warn    lipgloss.Style // warnings, "not verified", conditional loads
	Bad     lipgloss.Style // errors, damaged, refused
	Header  lipgloss.Style // table header cells
	Cell    lipgloss.Style // table cells
	Number  lipgloss.Style // right-aligned numeric table cells
	Border  lipgloss.Style // table borders
	Section lipgloss.Style // section headings above tables
}

func newStyles(w io.Writer, color bool) *styles {
	r := lipgloss.NewRenderer(w)
	if !color {
		r.SetColorProfile(termenv.Ascii)
	}
	s := &styles{r: r}
	s.Title = r.NewStyle().Bold(true).Foreground(lipgloss.Color("12"))
	s.Label = r.NewStyle().Foreground(lipgloss.Color("8")).Width(16)
	s.Value = r.NewStyle()
	s.Dim = r.NewStyle().Foreground(lipgloss.Color("8"))
	s.OK = r.NewStyle().Bold(true).Foreground(lipgloss.Color("2"))
	s.Warn = r.NewStyle().Bold(true).Foreground(lipgloss.Color("3"))
	s.Bad = r.NewStyle().Bold(true).Foreground(lipgloss.Color("1"))
	s.Header = r.NewStyle().Bold(true).Padding(0, 1)
	s.Cell = r.NewStyle().Padding(0, 1)
	s.Number = r.NewStyle().Padding(0, 1).Align(lipgloss.Right)
	s.Border = r.NewStyle().Foreground(lipgloss.Color("8"))
	s.Section = r.NewStyle().Bold(true)
	return s
}

// table renders rows under headers; numeric columns (by index) are right-aligned.
func (s *styles) table(headers []string, rows [][]string, numeric ...int) string {
	isNum := map[int]bool{}
	for _, c := range numeric {
		isNum[c] = true
	}
	t := table.New().
		Border(lipgloss.RoundedBorder()).
		BorderStyle(s.Border).
		Headers(headers...).
		Rows(rows...).
		StyleFunc(func(row, col int) lipgloss.Style {
			switch {
			case row == table.HeaderRow:
				return s.Header
			case isNum[col]:
				return s.Number
			}
			return s.Cell
		})
	return t.Render()
}
