window.YTD.tweets.part0 = [
  {
    "tweet" : {
      "id_str" : "1640000000000000701",
      "created_at" : "Thu Mar 23 10:00:00 +0000 2023",
      "full_text" : "Vide-atelier ce week-end : céramiques de second choix à -50 %, samedi et dimanche de 10 h à 18 h 🏺",
      "favorite_count" : "5",
      "retweet_count" : "1",
      "lang" : "fr"
    }
  },
  {
    "tweet" : {
      "id_str" : "1640100000000000702",
      "created_at" : "2023-03-23T16:45:00Z",
      "full_text" : "Thanks to everyone who came by today, we sold out of mugs by 3pm!",
      "favorite_count" : "11",
      "retweet_count" : "0",
      "lang" : "en"
    }
  }
]
