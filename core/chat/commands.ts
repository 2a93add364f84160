import { consentCommands } from '../consent/consent.commands'
import { noticeCommands } from '../notices/notices.commands'
import { requestCommands } from '../requests/requests.commands'
import { requestStaffCommands } from '../requests/requests-staff.commands'
import { staffCommands } from '../staff/staff.commands'
import * as text from './chat.messages'
import type { CommandHandlers } from './chat.types'

/** Replies that belong to no feature: help, hints, silence. */
const conversationCommands: Pick<
  CommandHandlers,
  'help' | 'unknown' | 'missingArgument' | 'smallTalk' | 'ignore'
> = {
  help: async (ctx, inbound, _command, who) => ({
    outcome: 'help',
    message: text.helpText(ctx.config.botName, {
      staff: Boolean(who.staff),
      inRoom: Boolean(inbound.roomId),
    }),
  }),
  unknown: async (ctx, inbound) => ({
    outcome: 'unknown',
    message: text.unknownHint(ctx.config.botName, Boolean(inbound.roomId)),
  }),
  missingArgument: async (_ctx, _inbound, command) => ({
    outcome: 'missing-argument',
    message: text.missingArgument(command.command, command.usage),
  }),
  smallTalk: async (ctx, inbound, command) => {
    const message = text.smallTalkReply(ctx.config.botName, command.mood, Boolean(inbound.roomId))
    return message
      ? { outcome: `small-talk:${command.mood}`, message }
      : { outcome: `small-talk:${command.mood}` }
  },
  ignore: async () => ({ outcome: 'ignored' }),
}

/** Every chat command's handler, one per kind: the compiler refuses a kind without one. */
export const commandHandlers: CommandHandlers = {
  ...conversationCommands,
  ...requestCommands,
  ...requestStaffCommands,
  ...staffCommands,
  ...consentCommands,
  ...noticeCommands,
}
