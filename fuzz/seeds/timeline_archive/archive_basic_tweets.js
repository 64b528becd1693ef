window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [ "1607688041234567890" ],
          "editableUntil" : "2022-12-27T09:05:42.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : true
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"https://mobile.twitter.com\" rel=\"nofollow\">Twitter Web App</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [ ],
        "urls" : [ ]
      },
      "display_text_range" : [ "0", "143" ],
      "favorite_count" : "7",
      "id_str" : "1607688041234567890",
      "truncated" : false,
      "retweet_count" : "2",
      "id" : "1607688041234567890",
      "created_at" : "Tue Dec 27 08:05:42 +0000 2022",
      "favorited" : false,
      "full_text" : "Galette des rois frangipane ou pomme-noisette : les précommandes sont ouvertes jusqu'au 5 janvier ! 👑 Retrait en boutique rue Sainte-Catherine.",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [ "1626926213456789012" ],
          "editableUntil" : "2023-02-18T13:33:11.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [
          {
            "name" : "Bordeaux Métropole",
            "screen_name" : "BordeauxMetropole",
            "indices" : [ "3", "21" ],
            "id_str" : "170000111",
            "id" : "170000111"
          }
        ],
        "urls" : [ ]
      },
      "display_text_range" : [ "0", "140" ],
      "favorite_count" : "0",
      "id_str" : "1626926213456789012",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1626926213456789012",
      "created_at" : "Sat Feb 18 12:33:11 +0000 2023",
      "favorited" : false,
      "full_text" : "RT @BordeauxMetropole: Marché des producteurs ce dimanche quai des Chartrons de 8 h à 13 h : plus de 60 exposants, fruits, légumes, fromages et pain…",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "edit_info" : {
        "initial" : {
          "editTweetIds" : [ "1627730456789012345" ],
          "editableUntil" : "2023-02-20T17:47:03.000Z",
          "editsRemaining" : "5",
          "isEditEligible" : false
        }
      },
      "retweeted" : false,
      "source" : "<a href=\"http://twitter.com/download/android\" rel=\"nofollow\">Twitter for Android</a>",
      "entities" : {
        "hashtags" : [ ],
        "symbols" : [ ],
        "user_mentions" : [
          {
            "name" : "Tom in Bordeaux",
            "screen_name" : "TomInBordeaux",
            "indices" : [ "0", "14" ],
            "id_str" : "1122334455",
            "id" : "1122334455"
          }
        ],
        "urls" : [ ]
      },
      "display_text_range" : [ "0", "118" ],
      "favorite_count" : "1",
      "in_reply_to_status_id_str" : "1627712345678901234",
      "id_str" : "1627730456789012345",
      "in_reply_to_user_id" : "1122334455",
      "truncated" : false,
      "retweet_count" : "0",
      "id" : "1627730456789012345",
      "in_reply_to_status_id" : "1627712345678901234",
      "created_at" : "Mon Feb 20 16:47:03 +0000 2023",
      "favorited" : false,
      "full_text" : "@TomInBordeaux Yes, our baguette tradition is made with organic flour from a mill in the Gers. Thanks for asking!",
      "lang" : "en",
      "in_reply_to_screen_name" : "TomInBordeaux",
      "in_reply_to_user_id_str" : "1122334455"
    }
  }
]
