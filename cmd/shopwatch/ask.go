package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/shopwatch/shopwatch/bot"
	"github.com/shopwatch/shopwatch/templates"
)

// cmdAsk answers a slash command locally, as the bot would, and prints the
// plain-text answer: `shopwatch ask '/shopwatch status 7495001'`.
func cmdAsk(ctx context.Context, e *env, g globals, args []string) error {
	fs := flag.NewFlagSet("ask", flag.ContinueOnError)
	g.register(fs)
	channel := fs.String("channel", "", "answer as in this Slack channel (default: the admin channel, which sees every shop)")
	user := fs.String("user", "", "the Slack user id asking (recorded by mute)")
	tmplDir := fs.String("templates", e.getenv("SHOPWATCH_TEMPLATES"), "directory of *.tmpl files overriding the built-in texts")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return fmt.Errorf("%w: ask '/shopwatch COMMAND ...' [--channel C]", errUsage)
	}
	command, text := bot.DefaultCommand, strings.Join(pos, " ")
	if first, rest, _ := strings.Cut(strings.TrimSpace(text), " "); strings.HasPrefix(first, "/") {
		command, text = first, rest
	}
	// The embedded blocks, which the tests parse, are parsed only if the
	// answer renders one; a directory of overrides is checked first.
	tmpl := templates.Lazy("")
	if *tmplDir != "" {
		var err error
		if tmpl, err = templates.Load(*tmplDir); err != nil {
			return err
		}
	}
	// The shops a command names are among its words: the store opens for
	// those (words that are no shop id are ignored; a command about
	// other shops, or all of them, gets the rest when it asks).
	db, err := openDB(ctx, e, g, strings.Fields(text)...)
	if err != nil {
		return err
	}
	defer db.Close()
	h, err := bot.NewHandler(bot.Options{DB: db, Logger: e.log, Clock: e.clock, Templates: tmpl, Command: command})
	if err != nil {
		return err
	}
	req := bot.Request{Command: command, Text: text, ChannelID: *channel, UserID: *user}
	if *channel == "" {
		// The admin channel sees every shop; without one configured, ask
		// still does, as a local tool.
		req.ChannelID, req.SeesAll = db.Config().AdminChannel, true
	}
	reply := h.Answer(ctx, req)
	fmt.Fprintln(e.stdout, reply.Text)
	switch reply.Kind {
	case bot.KindAnswer:
		return nil
	case bot.KindUsage:
		return fmt.Errorf("%w: the bot needs a different command (its answer is above)", errUsage)
	case bot.KindRefusal:
		return errors.New("the bot refused (its answer is above)")
	}
	return errors.New("the bot failed to answer (see the log above)")
}
