/** Interface strings of the study session's additions (issue #15: learning cards, undo of card actions,
 * new-card order, first visit), spread into i18n.ts. */
export const SESSION_ZH = {
  "session.learningLater": "还有 {n} 张学习中的卡片，{time}后到期",
  "session.learningSoon": "学习中的卡片到期后会自动出现。",
  "session.undoneSuspend": "已撤销暂停，卡片回到队列",
  "session.undoneBury": "已撤销搁置，卡片回到队列",
  "session.undoHint": "按 U 撤销",
  "set.newOrder": "新卡顺序",
  "set.newOrder.interleaved": "练习题穿插在同主题的卡片之后（推荐）",
  "set.newOrder.mixed": "各卡组交替",
  "set.newOrder.deck": "按卡组顺序",
  "set.learnAhead": "提前学习（分钟）",
  "set.learnAheadHelp": "没有其他卡片时，这么多分钟内到期的学习中卡片提前出现。",
};

export const SESSION_EN: Record<keyof typeof SESSION_ZH, string> = {
  "session.learningLater": "{n} learning cards due in {time}",
  "session.learningSoon": "Learning cards appear here by themselves when they are due.",
  "session.undoneSuspend": "Suspend undone: the card is back in the queue",
  "session.undoneBury": "Bury undone: the card is back in the queue",
  "session.undoHint": "Press U to undo",
  "set.newOrder": "New card order",
  "set.newOrder.interleaved": "Exercises after the cards of their topics (recommended)",
  "set.newOrder.mixed": "Mixed across decks",
  "set.newOrder.deck": "Deck order",
  "set.learnAhead": "Learn ahead (minutes)",
  "set.learnAheadHelp": "When nothing else is left, learning cards due within this many minutes come early.",
};
