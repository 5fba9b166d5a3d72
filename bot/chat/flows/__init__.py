"""The conversations, one flow per thing a person does: their steps, starting a process, reading
processes, the admin's office, the reports, and the welcome. Each flow declares the menu actions
and awaited inputs it answers (``Flow.menus``, ``Flow.inputs``); ``bot.chat.dialog`` routes to
them and the command table (``bot.chat.commands``) names their commands."""
