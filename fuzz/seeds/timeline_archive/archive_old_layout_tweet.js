window.YTD.tweet.part0 = [ {
  "tweet" : {
    "retweeted" : false,
    "source" : "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>",
    "entities" : {
      "hashtags" : [ {
        "text" : "Greenwich",
        "indices" : [ "103", "113" ]
      } ],
      "symbols" : [ ],
      "user_mentions" : [ ],
      "urls" : [ ]
    },
    "display_text_range" : [ "0", "113" ],
    "favorite_count" : "9",
    "id_str" : "1245001122334455667",
    "truncated" : false,
    "retweet_count" : "3",
    "id" : "1245001122334455667",
    "created_at" : "Tue Mar 31 08:02:11 +0000 2020",
    "favorited" : false,
    "full_text" : "We're staying open for key workers: puncture repairs and brake checks, free of charge until further notice. #Greenwich",
    "lang" : "en"
  }
}, {
  "tweet" : {
    "retweeted" : false,
    "source" : "<a href=\"http://twitter.com/download/iphone\" rel=\"nofollow\">Twitter for iPhone</a>",
    "entities" : {
      "hashtags" : [ ],
      "symbols" : [ ],
      "user_mentions" : [ {
        "name" : "Cycling UK",
        "screen_name" : "WeAreCyclingUK",
        "indices" : [ "3", "18" ],
        "id_str" : "20000111",
        "id" : "20000111"
      } ],
      "urls" : [ ]
    },
    "display_text_range" : [ "0", "140" ],
    "favorite_count" : "0",
    "id_str" : "1244700000000000001",
    "truncated" : false,
    "retweet_count" : "0",
    "id" : "1244700000000000001",
    "created_at" : "Mon Mar 30 12:15:40 +0000 2020",
    "favorited" : false,
    "full_text" : "RT @WeAreCyclingUK: Bike shops can stay open during the lockdown. Here's how to keep yourself and your customers safe when you…",
    "lang" : "en"
  }
} ]
