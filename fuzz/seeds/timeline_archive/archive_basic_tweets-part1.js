window.YTD.tweets.part1 = [
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [
          {
            "url" : "https://t.co/Ab1CdEf2Gh",
            "expanded_url" : "https://twitter.com/SudOuestBordeaux/status/1630123456789012345",
            "display_url" : "twitter.com/SudOuestBordea…",
            "indices" : [ "43", "66" ]
          }
        ]
      },
      "display_text_range" : [ "0", "66" ],
      "favorite_count" : "12",
      "id_str" : "1630876543210987654",
      "truncated" : false,
      "retweet_count" : "1",
      "id" : "1630876543210987654",
      "created_at" : "Wed Mar 01 09:12:30 +0000 2023",
      "favorited" : false,
      "full_text" : "Merci pour ce joli portrait de l'équipe 🥰 https://t.co/Ab1CdEf2Gh",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [
          {
            "url" : "https://t.co/Zz9YyXxWwV",
            "expanded_url" : "https://www.boulangerie-martin.example/horaires",
            "display_url" : "boulangerie-martin.example/horaires",
            "indices" : [ "103", "126" ]
          }
        ]
      },
      "display_text_range" : [ "0", "126" ],
      "favorite_count" : "4",
      "id_str" : "1632289900112233445",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1632289900112233445",
      "created_at" : "Sun Mar 05 07:30:00 +0000 2023",
      "favorited" : false,
      "full_text" : "Now open on Sundays until 1pm! Fresh croissants, pain au chocolat and our famous canelés. Full hours: https://t.co/Zz9YyXxWwV",
      "lang" : "en"
    }
  }
]
