// What an in-meeting notification opens on the meeting stage: the moment's title and a button that opens its
// card in the meeting chat. Both come from this page's address (set by the bot); the title is shown as text,
// and only a Teams link to a message is ever opened.
(function () {
  "use strict";
  var MESSAGE_LINK = "https://teams.microsoft.com/l/message/";
  var query = new URLSearchParams(window.location.search);
  var title = (query.get("title") || "").trim();
  var link = query.get("link") || "";
  var heading = document.getElementById("title");
  var button = document.getElementById("open");
  var status = document.getElementById("status");

  function say(text) {
    if (status) {
      status.textContent = text;
    }
  }

  if (heading && title) {
    heading.textContent = "Customer Moment: " + title.slice(0, 100);
  }
  if (link.indexOf(MESSAGE_LINK) !== 0) {
    say("Open the meeting chat to see the card.");
    return;
  }
  if (typeof microsoftTeams === "undefined") {
    say("Open the meeting chat in Microsoft Teams to see the card.");
    return;
  }
  microsoftTeams.app.initialize().then(function () {
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      microsoftTeams.app.openLink(link).then(
        function () {
          try {
            microsoftTeams.dialog.url.submit();
          } catch (error) {
            // Not opened as a dialog: nothing to close.
          }
        },
        function () {
          say("The card could not be opened from here; it is in the meeting chat.");
        }
      );
    });
  }, function () {
    say("Open the meeting chat in Microsoft Teams to see the card.");
  });
})();
